// Package buildversion names the version of this module that a binary was
// built from, as the Go toolchain recorded it: what benji-mock --version
// prints and what the client's User-Agent carries.
package buildversion

import (
	"runtime/debug"
)

// ModulePath is this module's path.
const ModulePath = "github.com/benjiconnect/benji"

// Current is Of the running binary's build information.
func Current() string { return Of(debug.ReadBuildInfo()) }

// Of returns the module's version in a binary with build information info:
// the version Go resolved (v1.2.0, or a pseudo-version) when the binary was
// built with the module as a dependency or installed with
// `go install ...@version`; "devel+<revision>" (with "-dirty" for
// uncommitted changes) for a build from a checkout; "devel" when Go recorded
// neither, as in a build without its VCS metadata.
func Of(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "devel"
	}
	if info.Main.Path == ModulePath {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		return fromVCS(info.Settings)
	}
	for _, dep := range info.Deps {
		if dep.Path != ModulePath {
			continue
		}
		if dep.Replace != nil {
			if dep.Replace.Version != "" {
				return dep.Replace.Version
			}
			return "devel" // replaced by a local directory
		}
		return dep.Version
	}
	return "devel"
}

func fromVCS(settings []debug.BuildSetting) string {
	var revision string
	var modified bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		return "devel"
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified {
		revision += "-dirty"
	}
	return "devel+" + revision
}
