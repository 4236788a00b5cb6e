package main

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestFirstSignalDrainsSecondStopsNow(t *testing.T) {
	tests := []struct {
		name    string
		signals []os.Signal
		// wantLog lists lines of the log, in order.
		wantLog []string
	}{
		{"no signal: Serve ended on its own", nil, nil},
		{"first signal drains", []os.Signal{syscall.SIGTERM},
			[]string{"level=INFO msg=\"signal: draining; a second signal stops now\" signal=terminated"}},
		{"second signal stops now", []os.Signal{syscall.SIGTERM, os.Interrupt},
			[]string{"level=INFO msg=\"signal: draining", "level=WARN msg=\"second signal: stopping now\" signal=interrupt"}},
		{"two interrupts, as from Ctrl-C twice", []os.Signal{os.Interrupt, os.Interrupt},
			[]string{"level=INFO msg=\"signal: draining", "level=WARN msg=\"second signal: stopping now\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sigs := make(chan os.Signal)
				var drains, stops atomic.Int32
				var logs bytes.Buffer
				returned := make(chan struct{})
				go func() {
					defer close(returned)
					handleSignals(sigs, slog.New(slog.NewTextHandler(&logs, nil)),
						func() { drains.Add(1) }, func() { stops.Add(1) })
				}()
				for i, sig := range tt.signals {
					sigs <- sig
					synctest.Wait()
					wantStops := int32(0)
					if i == 1 {
						wantStops = 1
					}
					if d, s := drains.Load(), stops.Load(); d != 1 || s != wantStops {
						t.Errorf("after signal %d: drain called %d times, stop %d; want 1, %d", i+1, d, s, wantStops)
					}
				}
				if len(tt.signals) < 2 {
					close(sigs) // as watchSignals' release does once Serve has returned
				}
				<-returned // a deadlock here fails the test: synctest sees it
				lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
				if len(tt.wantLog) == 0 && logs.Len() > 0 || len(tt.wantLog) > 0 && len(lines) != len(tt.wantLog) {
					t.Fatalf("log:\n%s\nwant %d lines", logs.String(), len(tt.wantLog))
				}
				for i, want := range tt.wantLog {
					if !strings.Contains(lines[i], want) {
						t.Errorf("log line %d = %q, want it to contain %q", i+1, lines[i], want)
					}
				}
			})
		})
	}
}

func TestWatchSignalsReleaseReturnsWithoutSignals(t *testing.T) {
	var logs bytes.Buffer
	called := false
	release := watchSignals(slog.New(slog.NewTextHandler(&logs, nil)), func() { called = true }, func() { called = true })
	released := make(chan struct{})
	go func() { release(); close(released) }()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("release did not return within 10s: run would never get to close the log writer")
	}
	if called || logs.Len() > 0 {
		t.Errorf("without a signal: drain or stop called %v, log %q", called, logs.String())
	}
}
