package mockserver

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// The record stops, with one warning, at its bound or at the first write
// that fails; it never writes part of a line.
func TestRecorderStopsAtItsBound(t *testing.T) {
	var out, logs bytes.Buffer
	rec := &recorder{w: &out, log: slog.New(slog.NewTextHandler(&logs, nil)), limit: 25}
	for range 5 {
		rec.write([]byte("0123456789\n")) // 11 bytes: two fit
	}
	if out.String() != strings.Repeat("0123456789\n", 2) {
		t.Errorf("record %q, want two whole lines", out.String())
	}
	if n := strings.Count(logs.String(), "recording stopped: the record reached its bound"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}

	logs.Reset()
	failing := &recorder{w: failingWriter{}, log: slog.New(slog.NewTextHandler(&logs, nil)), limit: MaxRecordBytes}
	failing.write([]byte("a\n"))
	failing.write([]byte("b\n"))
	if n := strings.Count(logs.String(), "recording stopped: the record could not be written"); n != 1 {
		t.Errorf("%d warnings after failed writes, want 1:\n%s", n, logs.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
