package buildversion

import (
	"runtime/debug"
	"testing"
)

func TestOfNamesTheVersionTheModuleWasBuiltAt(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"go install ...@v1.2.0", &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v1.2.0"}}, "v1.2.0"},
		{"a checkout, as Go 1.24 and later stamp it", &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v0.0.0-20261127053138-5e33b1d191a6+dirty"},
			Settings: vcs("5e33b1d191a6aaaa", "true")}, "v0.0.0-20261127053138-5e33b1d191a6+dirty"},
		{"a checkout with only the revision recorded", &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "false")}, "devel+0123456789ab"},
		{"a checkout with changes", &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}, Settings: vcs("0123456789abcdef", "true")}, "devel+0123456789ab-dirty"},
		{"no VCS information", &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}, "devel"},
		{"a partner's service", &debug.BuildInfo{Main: debug.Module{Path: "example.com/svc", Version: "(devel)"},
			Deps: []*debug.Module{{Path: "github.com/other/x", Version: "v9.9.9"}, {Path: ModulePath, Version: "v0.3.1"}}}, "v0.3.1"},
		{"a partner's service, replaced by a fork", &debug.BuildInfo{Main: debug.Module{Path: "example.com/svc"},
			Deps: []*debug.Module{{Path: ModulePath, Version: "v0.3.1", Replace: &debug.Module{Path: "example.com/fork", Version: "v0.3.2"}}}}, "v0.3.2"},
		{"a partner's service, replaced by a directory", &debug.BuildInfo{Main: debug.Module{Path: "example.com/svc"},
			Deps: []*debug.Module{{Path: ModulePath, Version: "v0.3.1", Replace: &debug.Module{Path: "../benji"}}}}, "devel"},
		{"not built with the module", &debug.BuildInfo{Main: debug.Module{Path: "example.com/svc"}}, "devel"},
	}
	for _, tc := range tests {
		if got := Of(tc.info, true); got != tc.want {
			t.Errorf("%s: Of = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Of(nil, false); got != "devel" {
		t.Errorf("no build information: %q", got)
	}
}

func TestLinkedVersionWins(t *testing.T) {
	linked = "v9.8.7"
	defer func() { linked = "" }()
	if got := Current(); got != "v9.8.7" {
		t.Errorf("Current() = %q, want the link-time version", got)
	}
}
