package main

import (
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/internal/doctable"
)

// docs/mock.md's table of flags lists every flag with the default the
// command has, and the two environment variables with the mock's own
// defaults.
func TestDocsStateEachFlagsDefault(t *testing.T) {
	fs := (&config{}).flagSet(io.Discard)
	flagName := regexp.MustCompile("`--([a-z-]+)`")
	listed := map[string]bool{}
	for _, r := range doctable.Read(t, "../../docs/mock.md", "## Flags and environment") {
		doc := doctable.Code(r.Cells["default"])
		switch name := r.Cells["flag"]; {
		case strings.HasPrefix(name, "`GOGC`"):
			if doc != "400" || defaultGCPercent != 400 {
				t.Errorf("docs/mock.md:%d: GOGC's default is %q, the mock sets %d", r.Line, doc, defaultGCPercent)
			}
		case strings.HasPrefix(name, "`GOMEMLIMIT`"):
			if q, err := doctable.Parse(doc); err != nil || q != doctable.Size(defaultMemoryLimit) {
				t.Errorf("docs/mock.md:%d: GOMEMLIMIT's default is %q (%v), the mock sets %d bytes", r.Line, doc, err, defaultMemoryLimit)
			}
		default:
			names := flagName.FindAllStringSubmatch(name, -1)
			if names == nil {
				t.Errorf("docs/mock.md:%d: %q names no flag", r.Line, name)
			}
			for _, m := range names {
				listed[m[1]] = true
				f := fs.Lookup(m[1])
				switch {
				case f == nil:
					t.Errorf("docs/mock.md:%d: --%s is not a flag of benji-mock", r.Line, m[1])
				case doc == "" && f.DefValue != "" && f.DefValue != "false":
					t.Errorf("docs/mock.md:%d: --%s's default is %q, stated in words (%q)", r.Line, m[1], f.DefValue, r.Cells["default"])
				case doc != "" && !strings.EqualFold(doc, f.DefValue):
					t.Errorf("docs/mock.md:%d: the doc says --%s defaults to %q, the flag to %q", r.Line, m[1], doc, f.DefValue)
				}
			}
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !listed[f.Name] {
			t.Errorf("docs/mock.md lists no --%s", f.Name)
		}
	})
}
