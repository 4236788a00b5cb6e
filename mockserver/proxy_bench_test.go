package mockserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// BenchmarkProxyCreateToken measures a createToken request through proxy
// mode to a local upstream, on connections kept alive: what the mock adds
// to each exchange (checks, journal, the scan of the answer's header).
//
//	go test -run '^$' -bench BenchmarkProxyCreateToken -benchtime 5000x -count 5 ./mockserver/
func BenchmarkProxyCreateToken(b *testing.B) {
	ok := `{"code":"ok","data":{"token":"` + upstreamToken + `"}}`
	answer := jsonAnswer("200 OK", ok, "Connection", "X-Hop", "X-Hop", "1")
	upstream := loopback.Scripted(b, func(*http.Request, []byte) string { return answer })
	ts := mockserver.NewTestServer(b, func(o *mockserver.Options) {
		o.Upstream = upstream
		o.Logger = slog.New(slog.DiscardHandler)
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := apiRequest(ts.URL+createPath, strings.NewReader(seedConnect), partnerToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
