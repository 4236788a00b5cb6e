package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// BenchmarkInspectorFaultQueue is the inspector over a full fault queue:
// MaxQueuedFaults faults of about 64 KB each (two match values of 32 KB,
// the most the admin API takes a fault), 64 MB in all.
//
//   - page: GET /__mock/ (an empty journal), with its size;
//   - poll-unchanged: the page's poll of its fragment while nothing
//     changed (304 from the version counters);
//   - api-with-pollers/N: createToken's hot path (as BenchmarkCreateToken
//     runs it) while N goroutines render the page with ?limit=1000 back to
//     back, without ETags, over a full journal: what pollers cost the API.
func BenchmarkInspectorFaultQueue(b *testing.B) {
	newFull := func(b *testing.B) *mockserver.Server {
		s, err := mockserver.New(mockserver.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range mockserver.MaxQueuedFaults {
			long := strconv.Itoa(i) + strings.Repeat("x", 32_000)
			if err := s.QueueFault(mockserver.Fault{Status: 429, Match: mockserver.Match{UserExternalID: long, DisplayName: long}}); err != nil {
				b.Fatal(err)
			}
		}
		return s
	}
	get := func(target string) *http.Request {
		// httptest's example.com would be refused (guard.refusal).
		return httptest.NewRequest(http.MethodGet, "http://localhost"+target, nil)
	}
	b.Run("page", func(b *testing.B) {
		s := newFull(b)
		b.ReportMetric(float64(benchAnswers(b, s, get("/__mock/"), http.StatusOK)), "page-bytes")
	})
	b.Run("poll-unchanged", func(b *testing.B) {
		s := newFull(b)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, get("/__mock/ui/live"))
		req := get("/__mock/ui/live")
		req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		benchAnswers(b, s, req, http.StatusNotModified)
	})
	for _, pollers := range []int{0, 1, 3} {
		b.Run("api-with-pollers/"+strconv.Itoa(pollers), func(b *testing.B) {
			s := newFull(b)
			journalBodies(s, 1000, seedTransfer)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			for range pollers {
				wg.Go(func() {
					w := &discardWriter{header: http.Header{}}
					req := get("/__mock/?limit=1000")
					for {
						select {
						case <-stop:
							return
						default:
						}
						clear(w.header)
						w.status = 0
						s.ServeHTTP(w, req)
						mu.Lock()
						statuses[w.status]++
						mu.Unlock()
					}
				})
			}
			benchServe(b, s, seedTransfer)
			close(stop)
			wg.Wait()
			if total := statuses[200] + statuses[503]; total > 0 {
				b.ReportMetric(float64(statuses[503])/float64(total), "busy-fraction")
			}
		})
	}
}
