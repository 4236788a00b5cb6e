package loghandler

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"sync"
	"testing"
	"testing/slogtest"
	"time"
)

// requestRecord is the line benji-mock writes for every request.
func requestRecord(t time.Time) slog.Record {
	r := slog.NewRecord(t, slog.LevelInfo, "request", 0)
	r.AddAttrs(
		slog.String("request_id", "3f2a9c81d0e4b7a6"),
		slog.String("method", "POST"),
		slog.String("path", "/verify/token/create"),
		slog.Int("status", 200),
		slog.Duration("duration", 48213*time.Nanosecond),
	)
	return r
}

// formats pairs each of this package's constructors with slog's own.
var formats = []struct {
	name string
	ours func(io.Writer, *slog.HandlerOptions) *Handler
	std  func(io.Writer, *slog.HandlerOptions) slog.Handler
}{
	{"text", NewText, func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) }},
	{"json", NewJSON, func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }},
}

// same writes r through both handlers and fails when the bytes differ.
func same(t *testing.T, opts *slog.HandlerOptions, r slog.Record) {
	t.Helper()
	for _, f := range formats {
		var got, want bytes.Buffer
		if err := f.ours(&got, opts).Handle(context.Background(), r.Clone()); err != nil {
			t.Fatalf("%s: Handle: %v", f.name, err)
		}
		if err := f.std(&want, opts).Handle(context.Background(), r.Clone()); err != nil {
			t.Fatalf("%s: slog Handle: %v", f.name, err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got  %q\n want %q", f.name, got.String(), want.String())
		}
	}
}

func TestOutputIsSlogs(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	odd := time.FixedZone("LMT", -(4*3600 + 56*60 + 2))
	base := time.Date(2026, 11, 27, 0, 35, 57, 123456789, time.UTC)
	tests := []struct {
		name string
		opts *slog.HandlerOptions
		r    slog.Record
	}{
		{"request line", nil, requestRecord(base)},
		{"whole second", nil, requestRecord(base.Truncate(time.Second))},
		{"whole millisecond", nil, requestRecord(base.Truncate(time.Millisecond))},
		{"offset zone", nil, requestRecord(base.In(berlin))},
		{"zone with seconds", nil, requestRecord(base.In(odd))},
		{"local zone", nil, requestRecord(base.Local())},
		{"monotonic clock reading", nil, requestRecord(time.Now())},
		{"before 1970", nil, requestRecord(time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC))},
		{"year 10000", nil, requestRecord(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))},
		{"zero time", nil, requestRecord(time.Time{})},
		{"message with space", nil, slog.NewRecord(base, slog.LevelError, "handler failed", 0)},
		{"empty message", nil, slog.NewRecord(base, slog.LevelWarn, "", 0)},
		{"level between", nil, slog.NewRecord(base, slog.LevelInfo+2, "x", 0)},
		{"below debug", &slog.HandlerOptions{Level: slog.LevelDebug - 8}, slog.NewRecord(base, slog.LevelDebug-3, "x", 0)},
		{"add source", &slog.HandlerOptions{AddSource: true}, requestRecord(base)},
		{"replace attr", &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "status" {
				a.Key = "code"
			}
			return a
		}}, requestRecord(base)},
	}
	kinds := []slog.Attr{
		slog.String("s", `quote " inside`),
		slog.String("s", "a=b"),
		slog.String("s", `back\slash`),
		slog.String("s", "<html>&amp;"),
		slog.String("s", ""),
		slog.String("s", "tab\there"),
		slog.String("s", "é"),
		slog.String("", "empty key"),
		slog.String("key with space", "v"),
		slog.Int64("n", math.MinInt64),
		slog.Uint64("u", math.MaxUint64),
		slog.Bool("b", false),
		slog.Duration("d", 0),
		slog.Duration("d", -1500*time.Millisecond),
		slog.Float64("f", 1e21),
		slog.Time("t", base),
		slog.Any("err", io.EOF),
		slog.Any("nil", nil),
		slog.Any("fields", []string{"/mode", "/display_name"}),
		slog.Group("g", slog.Int("a", 1)),
		slog.Group("empty"),
		{},
	}
	for _, a := range kinds {
		r := slog.NewRecord(base, slog.LevelInfo, "request", 0)
		r.AddAttrs(slog.String("first", "ok"), a, slog.Int("last", 1))
		tests = append(tests, struct {
			name string
			opts *slog.HandlerOptions
			r    slog.Record
		}{"attr " + a.String(), nil, r})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { same(t, tt.opts, tt.r) })
	}
}

// The request line must take the fast path, or the package is for nothing.
func TestRequestLineTakesTheFastPath(t *testing.T) {
	for _, f := range formats {
		h := f.ours(io.Discard, nil)
		if _, ok := h.appendRecord(nil, requestRecord(time.Now())); !ok {
			t.Errorf("%s: the request line went to slog's handler", f.name)
		}
	}
}

// A second record in the same second reuses the cached date; one in another
// zone or second must not.
func TestTimeCacheFollowsSecondAndZone(t *testing.T) {
	base := time.Date(2026, 11, 27, 23, 59, 59, 999_000_000, time.UTC)
	times := []time.Time{
		base,
		base.Add(500 * time.Microsecond),
		base.Add(time.Millisecond), // next day
		base.In(time.FixedZone("X", 3600)),
		base.In(time.FixedZone("Y", 3600)),
		base,
	}
	for _, f := range formats {
		var got, want bytes.Buffer
		ours, std := f.ours(&got, nil), f.std(&want, nil)
		for _, tm := range times {
			r := requestRecord(tm)
			_ = ours.Handle(context.Background(), r)
			_ = std.Handle(context.Background(), r)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got  %s\n want %s", f.name, got.String(), want.String())
		}
	}
}

// Derived handlers and the level check behave as slog's.
func TestWithAttrsAndLevel(t *testing.T) {
	for _, f := range formats {
		var got, want bytes.Buffer
		opts := &slog.HandlerOptions{Level: slog.LevelWarn}
		ours := slog.New(f.ours(&got, opts)).With("component", "admin").WithGroup("g")
		std := slog.New(f.std(&want, opts)).With("component", "admin").WithGroup("g")
		for _, l := range []*slog.Logger{ours, std} {
			l.Info("hidden")
			l.Warn("shown", "n", 1)
		}
		// Times differ between the two calls; compare without them.
		g, w := dropTimes(got.String()), dropTimes(want.String())
		if g != w || g == "" {
			t.Errorf("%s:\n got  %s\n want %s", f.name, g, w)
		}
	}
}

func dropTimes(s string) string {
	var out []byte
	for line := range bytes.Lines([]byte(s)) {
		if i := bytes.Index(line, []byte("level")); i >= 0 {
			line = line[i:]
		}
		out = append(out, line...)
	}
	return string(out)
}

// FuzzOutputIsSlogs builds records from the fuzzer's input and requires the
// same bytes as slog's handlers.
func FuzzOutputIsSlogs(f *testing.F) {
	f.Add(int64(1795739757123456789), 0, 0, "request", "path", "/verify/token/create", uint8(0), int64(200))
	f.Add(int64(0), 3600, 4, "a b", "k=v", `"q"`, uint8(4), int64(-1))
	f.Add(int64(-1), -18002, -4, "", "", "", uint8(3), int64(1500000))
	f.Fuzz(func(t *testing.T, unixNano int64, offset int, level int, msg, key, str string, kind uint8, n int64) {
		tm := time.Unix(0, unixNano).In(time.FixedZone("Z", offset%(18*3600)))
		r := slog.NewRecord(tm, slog.Level(level), msg, 0)
		var a slog.Attr
		switch kind % 6 {
		case 0:
			a = slog.String(key, str)
		case 1:
			a = slog.Int64(key, n)
		case 2:
			a = slog.Uint64(key, uint64(n))
		case 3:
			a = slog.Duration(key, time.Duration(n))
		case 4:
			a = slog.Bool(key, n%2 == 0)
		case 5:
			a = slog.Any(key, str)
		}
		r.AddAttrs(a, slog.String("request_id", str))
		same(t, &slog.HandlerOptions{Level: slog.Level(math.MinInt)}, r)
	})
}

// BenchmarkRequestLine compares this handler with slog's on the request
// line; read the two as a ratio.
func BenchmarkRequestLine(b *testing.B) {
	for _, f := range formats {
		for _, h := range []struct {
			name string
			h    slog.Handler
		}{{"slog", f.std(io.Discard, nil)}, {"loghandler", f.ours(io.Discard, nil)}} {
			b.Run(f.name+"/"+h.name, func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					_ = h.h.Handle(ctx, requestRecord(time.Now()))
				}
			})
		}
	}
}

// The JSON handler passes slog's own conformance suite for handlers.
func TestSlogtest(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(*testing.T) slog.Handler {
		buf.Reset()
		return NewJSON(&buf, nil)
	}
	result := func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%v: %q", err, buf.String())
		}
		return m
	}
	slogtest.Run(t, newHandler, result)
}

// Records from many goroutines, across second boundaries, come out as whole
// lines that slog would also have written (run under -race by make ci).
func TestConcurrentRecords(t *testing.T) {
	var out bytes.Buffer
	h := NewText(&out, nil)
	base := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	const goroutines, each = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				tm := base.Add(time.Duration(g*each+i) * 7 * time.Millisecond)
				_ = h.Handle(context.Background(), requestRecord(tm))
			}
		})
	}
	wg.Wait()
	lines := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != goroutines*each {
		t.Fatalf("%d lines, want %d", len(lines), goroutines*each)
	}
	seen := map[string]bool{}
	for g := range goroutines {
		for i := range each {
			var want bytes.Buffer
			tm := base.Add(time.Duration(g*each+i) * 7 * time.Millisecond)
			_ = slog.NewTextHandler(&want, nil).Handle(context.Background(), requestRecord(tm))
			seen[string(bytes.TrimSuffix(want.Bytes(), []byte("\n")))] = true
		}
	}
	for _, l := range lines {
		if !seen[string(l)] {
			t.Fatalf("line slog would not write: %q", l)
		}
	}
}
