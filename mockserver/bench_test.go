package mockserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/bench/refserver"

	"github.com/benjiconnect/benji/mockserver"
)

// benchServe runs the createToken hot path in-process: routing, request
// validation, handler, response validation, journal and logging. The
// request and the response writer are reused, so that what is measured is
// the handler chain, not the harness.
func benchServe(b *testing.B, h http.Handler, body string) {
	req := httptest.NewRequest(http.MethodPost, createPath, nil)
	req.Header.Set("Authorization", "Bearer bench")
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	rd := &rewindBody{}
	req.Body = rd
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status >= 500 {
			b.Fatalf("status %d", w.status)
		}
	}
}

// benchAnswers serves req to h in b's loop, failing at the first answer
// whose status is not want, and returns the size of the last answer's body.
func benchAnswers(b *testing.B, h http.Handler, req *http.Request, want int) int {
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.status != want {
			b.Fatalf("status %d, want %d", w.status, want)
		}
	}
	return w.n
}

// journalBodies has h answer n API requests, body after body, as a loaded
// mock would have.
func journalBodies(h http.Handler, n int, bodies ...string) {
	for i := range n {
		req := httptest.NewRequest(http.MethodPost, createPath, strings.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer bench")
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

type rewindBody struct{ strings.Reader }

func (*rewindBody) Close() error { return nil }

// discardWriter is a ResponseWriter that keeps only the status and the
// count of bytes written.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

func mustNew(b *testing.B, opts mockserver.Options) http.Handler {
	s, err := mockserver.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkCreateToken runs the mock's hot path beside refserver's bare
// handler (no validation, no journal, no log) in the same process: read
// the mock's ns/op as a multiple of the reference's.
func BenchmarkCreateToken(b *testing.B) {
	b.Run("reference", func(b *testing.B) { benchServe(b, refserver.Handler(), seedTransfer) })
	b.Run("valid", func(b *testing.B) { benchServe(b, mustNew(b, mockserver.Options{}), seedTransfer) })
	b.Run("valid+text-log", func(b *testing.B) {
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		benchServe(b, mustNew(b, mockserver.Options{Logger: logger}), seedTransfer)
	})
	b.Run("valid,no-response-validation", func(b *testing.B) {
		benchServe(b, mustNew(b, mockserver.Options{DisableResponseValidation: true}), seedTransfer)
	})
	b.Run("invalid", func(b *testing.B) {
		benchServe(b, mustNew(b, mockserver.Options{}), `{"mode":2,"custom_attributes":{"actions":[{"mode":1}]}}`)
	})
}

// BenchmarkNewTestServer is the cost of one test's mock, start to close.
func BenchmarkNewTestServer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ts, err := mockserver.StartTestServer(mockserver.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ts.Close()
	}
}
