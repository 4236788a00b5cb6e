// Package loopback runs what a test talks to on 127.0.0.1 at a free port: a
// server's Serve loop, or a raw upstream whose bytes the test writes itself;
// and waits for what such a server does. Tests of several packages use it;
// nothing else does.
package loopback

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Deadline bounds every wait of this package: generous, so that only a
// broken build reaches it, even under -race on a busy machine.
const Deadline = 30 * time.Second

// Listen returns a listener on 127.0.0.1 at a free port, closed at cleanup.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Served is a Serve loop running on a loopback listener.
type Served struct {
	// Addr is the listener's host:port, URL the same as http://host:port.
	Addr, URL string
	// Cancel ends the context Serve was given.
	Cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Serve runs serve on a loopback listener (wrapped by wrap, when given) in
// a goroutine, with a context that Cancel ends. At cleanup it cancels and
// waits for serve to return.
func Serve(t testing.TB, serve func(context.Context, net.Listener) error, wrap ...func(net.Listener) net.Listener) *Served {
	t.Helper()
	var ln net.Listener = Listen(t)
	s := &Served{Addr: ln.Addr().String(), done: make(chan struct{})}
	s.URL = "http://" + s.Addr
	for _, w := range wrap {
		ln = w(ln)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Cancel = cancel
	go func() {
		defer close(s.done)
		s.err = serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(Deadline):
			t.Errorf("Serve did not return within %s of its context's end", Deadline)
		}
	})
	return s
}

// Done is closed once Serve has returned.
func (s *Served) Done() <-chan struct{} { return s.done }

// Err is what Serve returned; read it once Done is closed.
func (s *Served) Err() error { return s.err }

// Wait waits for Serve to return, without ending its context, and gives
// its error; it fails t past Deadline.
func (s *Served) Wait(t testing.TB) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(Deadline):
		t.Fatalf("Serve did not return within %s", Deadline)
		return nil
	}
}

// Upstream listens on loopback and hands each connection to handle, in a
// goroutine of its own, with a deadline of its own, closing it after. It
// returns the listener's URL, http://host:port.
func Upstream(t testing.TB, deadline time.Duration, handle func(net.Conn)) string {
	t.Helper()
	ln := Listen(t)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(deadline))
				handle(conn)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// Scripted is an Upstream that reads each HTTP/1.1 request of a connection,
// kept alive, and writes what reply makes of it, byte for byte: the whole
// response, status line included, malformed if the test wants.
func Scripted(t testing.TB, reply func(r *http.Request, body []byte) string) string {
	t.Helper()
	return Upstream(t, Deadline, func(conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			r, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			body, _ := io.ReadAll(r.Body)
			if _, err := io.WriteString(conn, reply(r, body)); err != nil {
				return
			}
		}
	})
}

// WaitFor polls cond until it holds, failing t with what it waited for past
// Deadline.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
