package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// What a partner's service builds when it imports package client: no server
// framework, no OpenAPI library, no YAML or JSON Schema package, nothing of
// golang.org/x/net or x/crypto (the standard library's vendored copies, named
// vendor/..., are every net/http program's).
func TestClientBuildsNoServerSide(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/labstack/echo", "github.com/getkin/kin-openapi", "go.yaml.in/yaml", "gopkg.in/yaml",
		"github.com/oasdiff/yaml", "github.com/santhosh-tekuri/jsonschema", "golang.org/x/net", "golang.org/x/crypto",
		"github.com/benjiconnect/benji/internal/contract", "github.com/benjiconnect/benji/gen/echoserver",
	}
	deps := strings.Fields(string(out))
	for _, pkg := range deps {
		for _, bad := range forbidden {
			if strings.HasPrefix(pkg, bad) {
				t.Errorf("package client builds %s", pkg)
			}
		}
	}
	if len(deps) < 10 || !strings.Contains(string(out), "github.com/benjiconnect/benji/gen\n") {
		t.Fatalf("go list -deps printed %d packages, without gen: the test would prove nothing:\n%s", len(deps), out)
	}
}
