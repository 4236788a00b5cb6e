package mockserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// benchServe runs the createToken hot path in-process: routing, request
// validation, handler, response validation, journal and logging.
func benchServe(b *testing.B, opts mockserver.Options, body string) {
	s, err := mockserver.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, createPath, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer bench")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkCreateToken(b *testing.B) {
	b.Run("valid", func(b *testing.B) { benchServe(b, mockserver.Options{}, seedTransfer) })
	b.Run("valid+text-log", func(b *testing.B) {
		benchServe(b, mockserver.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, seedTransfer)
	})
	b.Run("valid,no-response-validation", func(b *testing.B) {
		benchServe(b, mockserver.Options{DisableResponseValidation: true}, seedTransfer)
	})
	b.Run("invalid", func(b *testing.B) {
		benchServe(b, mockserver.Options{}, `{"mode":2,"custom_attributes":{"actions":[{"mode":1}]}}`)
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
