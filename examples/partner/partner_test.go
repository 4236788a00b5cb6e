// Package partner is a partner's service seen from outside this module: its
// test writes a module of its own that requires github.com/benjiconnect/benji
// (replaced by this checkout), with code copied from the README, and runs
// that module's tests. What the README shows has to work from outside.
package partner

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// outsideTest is the outside module's test: README code only.
const outsideTest = `package checkout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/client"
	"github.com/benjiconnect/benji/mockserver"
)

func TestPartnerAndMerchantReachTheMock(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	c, err := client.New("partner-access-token", client.WithBaseURL(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.CreateToken(context.Background(), client.Request{
		Mode: client.Connect, DisplayName: "Reward Cookies", PartnershipID: "49", PartnerID: 3, MerchantID: 48,
	})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := ts.RequestForToken(tok.Value)
	if !ok || e.Request == nil || *e.Request.PartnerId != 3 || *e.Request.MerchantId != 48 {
		t.Errorf("the mock journaled %+v", e.Request)
	}
}

func TestRetriesThroughAnOutage(t *testing.T) {
	for _, status := range []int{502, 503, 504} {
		ts := mockserver.NewTestServer(t)
		c, err := client.New("partner-access-token", client.WithBaseURL(ts.URL),
			client.WithRetryPolicy(client.RetryPolicy{BaseDelay: 1e6, MaxDelay: 5e6}))
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.QueueFault(mockserver.Fault{Status: status}); err != nil {
			t.Fatal(err)
		}
		if tok, err := c.CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "x"}); err != nil || tok.Attempts != 2 {
			t.Errorf("after one %d: %v, want a token on the second attempt", status, err)
		}
		resp, err := http.Post(ts.URL+"/__mock/faults", "application/json", strings.NewReader(fmt.Sprintf(` + "`" + `{"status":%d,"times":3}` + "`" + `, status)))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("admin API: %v %v", resp, err)
		}
		resp.Body.Close()
		_, err = c.CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "x"})
		var apiErr *client.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
			t.Errorf("after three %ds: %v, want an *APIError with the status", status, err)
		}
	}
}
`

func TestAPartnerModuleUsesTheReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an outside module")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":           "module example.com/checkout\n\ngo 1.26\n\nrequire github.com/benjiconnect/benji v0.0.0\n\nreplace github.com/benjiconnect/benji => " + repo + "\n",
		"go.sum":           string(sum),
		"checkout_test.go": outsideTest,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v in the partner's module: %v\n%s", args, err, out)
		}
	}
}
