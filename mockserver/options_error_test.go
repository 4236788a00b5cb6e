package mockserver_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/benjiconnect/benji/mockserver"
)

// Options outside their bounds are refused with one *OptionError for each
// problem: the field, its value, and a message a command can say with its
// own names for the fields. Validate says what New would.
func TestOptionErrorsNameTheFieldAndItsValue(t *testing.T) {
	const secret = "admin-secret-1234 "
	tests := []struct {
		name    string
		opts    mockserver.Options
		options []string // OptionError.Option of each problem, in order
		values  []any
		said    string // the first problem, with fields named "<Field>"
	}{
		{"a journal too large", mockserver.Options{JournalSize: 20_000}, []string{"JournalSize"}, []any{20_000},
			"<JournalSize> must be between 1 and 10000, got 20000"},
		{"a budget under one body", mockserver.Options{MaxBodyBytes: 100, MaxBodyBytesInFlight: 99}, []string{"MaxBodyBytesInFlight"}, []any{int64(99)},
			"<MaxBodyBytesInFlight> must be between <MaxBodyBytes> (100) and 1073741824, got 99"},
		{"two problems", mockserver.Options{MaxBodyBytes: -1, Latency: -time.Second}, []string{"MaxBodyBytes", "Latency"},
			[]any{int64(-1), -time.Second}, "<MaxBodyBytes> must be between 1 and 16777216, got -1"},
		{"latencies past their sum", mockserver.Options{Latency: 20 * time.Second, LatencyJitter: 11 * time.Second}, []string{"Latency"}, []any{20 * time.Second},
			"<Latency> plus <LatencyJitter> must be at most 30s, got 20s + 11s"},
		{"a shutdown timeout too long", mockserver.Options{ShutdownTimeout: time.Hour}, []string{"ShutdownTimeout"}, []any{time.Hour},
			"<ShutdownTimeout> must be positive and at most 10m0s, got 1h0m0s"},
		{"an admin token no header carries, not repeated", mockserver.Options{AdminToken: secret}, []string{"AdminToken"}, []any{nil},
			"<AdminToken> must not begin or end with spaces or hold control characters: no Authorization header could carry it"},
		{"tokens in proxy mode", mockserver.Options{Upstream: "https://api.example", Tokens: []string{"t"}}, []string{"Tokens"}, []any{nil},
			"<Tokens> must be empty when <Upstream> is set: the upstream decides which bearer tokens it accepts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mockserver.New(tt.opts)
			if !errors.Is(err, mockserver.ErrInvalidOptions) {
				t.Fatalf("New: %v, want ErrInvalidOptions", err)
			}
			if v := tt.opts.Validate(); v == nil || v.Error() != strings.TrimPrefix(err.Error(), "mockserver: ") {
				t.Errorf("Validate: %v\nNew: %v\nwant the same", v, err)
			}
			var first *mockserver.OptionError
			if !errors.As(err, &first) {
				t.Fatalf("New: %v, holds no *OptionError", err)
			}
			found := mockserver.OptionErrors(err)
			var options []string
			for i, e := range found {
				options = append(options, e.Option)
				if i < len(tt.values) && e.Value != tt.values[i] {
					t.Errorf("%s: Value %#v, want %#v", e.Option, e.Value, tt.values[i])
				}
				if !errors.Is(e, mockserver.ErrInvalidOptions) {
					t.Errorf("%s: not ErrInvalidOptions", e.Option)
				}
			}
			if strings.Join(options, ",") != strings.Join(tt.options, ",") {
				t.Errorf("problems with %q, want %q", options, tt.options)
			}
			if said := first.Explain(func(option string) string { return "<" + option + ">" }); said != tt.said {
				t.Errorf("Explain:\n got %q\nwant %q", said, tt.said)
			}
			if strings.Contains(err.Error(), "admin-secret") {
				t.Errorf("the error repeats the admin token: %v", err)
			}
		})
	}
	if err := (mockserver.Options{}).Validate(); err != nil {
		t.Errorf("the zero Options: %v", err)
	}
}
