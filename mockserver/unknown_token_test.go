package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// A bearer token the mock was not started with is refused with a message
// that names every way the tokens are given (Options.Tokens in a Go test,
// --tokens or BENJI_MOCK_TOKENS for the binary), not the environment only.
func TestUnknownTokenMessageNamesWhereTokensComeFrom(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Tokens = []string{partnerToken} })
	a := request(t, http.MethodPost, ts.URL+createPath, seedConnect, "Authorization", "Bearer not-"+partnerToken, "Content-Type", "application/json")
	e := a.envelope(t)
	if a.status != http.StatusUnauthorized || e.Code != mockserver.OutcomeUnauthorized {
		t.Fatalf("%d %q, want 401 unauthorized", a.status, e.Code)
	}
	for _, name := range []string{"Options.Tokens", "--tokens", "BENJI_MOCK_TOKENS"} {
		if !strings.Contains(e.Message, name) {
			t.Errorf("the message %q does not name %s", e.Message, name)
		}
	}
	if strings.Contains(e.Message, partnerToken) {
		t.Errorf("the message %q repeats a token", e.Message)
	}
	if got := a.header.Get("Www-Authenticate"); got != `Bearer error="invalid_token"` {
		t.Errorf("WWW-Authenticate %q, want the invalid_token challenge", got)
	}
}
