// Package buildversion names the version of this module that a binary was
// built from, as the Go toolchain recorded it: what benji-mock --version
// prints and what the client's User-Agent carries.
package buildversion

import (
	"runtime/debug"
)

// ModulePath is this module's path.
const ModulePath = "github.com/benjiconnect/benji"

// linked is set at link time by builds that know better than Go's records:
// the Docker image passes its VERSION build argument with
// -ldflags "-X github.com/benjiconnect/benji/internal/buildversion.linked=...",
// for benji-mock and the example consumer alike.
var linked string

// Current names the running binary's build: the link-time version if there
// is one, else Of its build information.
func Current() string {
	if linked != "" {
		return linked
	}
	return Of(debug.ReadBuildInfo())
}

// Of returns the module's version in a binary with build information info:
// the version Go resolved (v1.2.0, or a pseudo-version) when the binary was
// built with the module as a dependency or installed with
// `go install ...@version`; for a build from a checkout, the pseudo-version
// Go 1.24 and later stamp from the VCS (v0.0.0-20261127053138-5e33b1d191a6,
// "+dirty" with uncommitted changes), or "devel+<revision>" where only the
// revision was recorded; "devel" when Go recorded none of these (as with
// -buildvcs=false).
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
