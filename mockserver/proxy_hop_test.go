package mockserver_test

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// Headers the upstream names in its Connection header belong to that
// connection and are not passed back, whether or not it also says close
// (which net/http takes the whole Connection header away for); other
// headers are. Over plain HTTP, TLS, and HTTP/2 (which has no Connection
// header).
func TestProxyDropsHeadersNamedInTheUpstreamsConnectionHeader(t *testing.T) {
	ok := `{"code":"ok","data":{"token":"` + upstreamToken + `"}}`
	for _, tt := range []struct {
		name       string
		tls, h2    bool
		connection string
	}{
		{"close and a name", false, false, "close, X-Hop"},
		{"a name, kept alive", false, false, "X-Hop"},
		{"a name then close", false, false, "X-Hop, close"},
		{"close and a name, over TLS", true, false, "close, X-Hop"},
		{"a name, kept alive, over TLS", true, false, "X-Hop"},
		{"HTTP/2", true, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var proto atomic.Value
			up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				proto.Store(r.Proto)
				if tt.connection != "" {
					w.Header().Set("Connection", tt.connection)
					w.Header().Set("X-Hop", "1")
				}
				w.Header().Set("X-Kept", "2")
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, ok)
			}))
			up.EnableHTTP2 = tt.h2
			if tt.tls {
				up.StartTLS()
			} else {
				up.Start()
			}
			t.Cleanup(up.Close)
			ts, _, _ := startProxy(t, up.URL, func(o *mockserver.Options) {
				if tt.tls {
					pool := x509.NewCertPool()
					pool.AddCert(up.Certificate())
					o.UpstreamRootCAs = pool
				}
			})
			for i := range 2 { // a second exchange, on a connection kept alive or a new one
				got := create(t, ts, seedConnect)
				if got.status != 200 || got.header.Get("X-Kept") != "2" || got.header["X-Hop"] != nil || got.header["Connection"] != nil {
					t.Errorf("exchange %d: caller got %d X-Kept %q X-Hop %q Connection %q; want 200, X-Kept 2, no X-Hop, no Connection",
						i, got.status, got.header.Get("X-Kept"), got.header["X-Hop"], got.header["Connection"])
				}
			}
			if want := map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[tt.h2]; proto.Load() != want {
				t.Errorf("the upstream was spoken to in %s, want %s", proto, want)
			}
		})
	}
}

// The same from an upstream that writes its answers by hand: the names of
// the final answer's Connection header, continued on a second line, are
// dropped; those of an interim 103's, or in the body, are not the final
// answer's.
func TestProxyDropsConnectionNamesOfTheFinalAnswer(t *testing.T) {
	ok := `{"code":"ok","data":{"token":"` + upstreamToken + `"}}`
	hop := []string{"Connection", "close,\r\n x-hop", "X-Hop", "1", "X-Kept", "2", "X-Other-Hop", "3", "connection", "X-Other-Hop"}
	for name, reply := range map[string]string{
		"after a 103": "HTTP/1.1 103 Early Hints\r\nConnection: X-Kept\r\nLink: </a>\r\n\r\n" + jsonAnswer("200 OK", ok, hop...),
		"with a body that looks like a header block": strings.Replace(jsonAnswer("200 OK", "a\r\nConnection: X-Kept\r\n\r\n", hop...),
			"application/json", "text/plain", 1),
	} {
		t.Run(name, func(t *testing.T) {
			ts, _, _ := startProxy(t, loopback.Scripted(t, func(*http.Request, []byte) string { return reply }))
			got := create(t, ts, seedConnect)
			if got.status != 200 || got.header.Get("X-Kept") != "2" || got.header["X-Hop"] != nil || got.header["X-Other-Hop"] != nil {
				t.Errorf("caller got %d X-Kept %q X-Hop %q X-Other-Hop %q; want 200, X-Kept 2, no X-Hop, no X-Other-Hop",
					got.status, got.header.Get("X-Kept"), got.header["X-Hop"], got.header["X-Other-Hop"])
			}
		})
	}
}
