package mockserver

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/benjiconnect/benji/internal/contract"
)

// ContractHeader names the response header that carries the contract the
// mock validates against, as "info.version+hash" (for example
// "1.0.0+3f2a9c1b7d4e"): a stale mock image shows in it.
const ContractHeader = "X-Benji-Contract"

// Limits of the HTTP server that Serve runs, so that a slow or careless
// client cannot hold a connection or memory forever. A queued fault's delay
// is refused when it would run past WriteTimeout (see MaxFaultDelay).
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 2 * time.Minute
	IdleTimeout       = 2 * time.Minute
	// MaxHeaderBytes bounds a request's line and headers; more gets 431
	// (net/http allows 4 KiB of slack over it).
	MaxHeaderBytes = 64 << 10
)

// cutGrace is how long Serve waits, after cutting the connections at the
// drain deadline, for the requests it cut to be logged and journaled.
const cutGrace = 2 * time.Second

// Server is the mock Benji API. It implements http.Handler; its methods are
// the test handles (journal, faults) that the admin API also exposes.
type Server struct {
	opts    Options
	cat     *catalog
	log     *slog.Logger
	tokens  [][]byte // nil: any non-empty token
	journal *journal
	faults  faultQueue
	// proxy is proxy mode (Options.Upstream); nil otherwise.
	proxy   *proxy
	handler http.Handler
	// contractHeader is the ContractHeader value, shared by every answer.
	contractHeader []string
	// readHeaderTimeout and readTimeout are ReadHeaderTimeout and
	// ReadTimeout; tests shorten them.
	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	// bigChecks bounds how many bodies over bigBody are checked at once.
	bigChecks slots
	// bodies is the budget of request body bytes in flight
	// (Options.MaxBodyBytesInFlight); see reserveBody.
	bodies *semaphore.Weighted
	// createTokenLog is the logger's handler with the API operation's
	// method and path attributes, which slog formats once.
	createTokenLog slog.Handler
	// exchanges holds request records for reuse.
	exchanges sync.Pool
	// active counts the requests being handled, for Serve's shutdown.
	active atomic.Int64
	// stopNow is closed by Stop.
	stopNow  chan struct{}
	stopOnce sync.Once

	// inspector is the request inspector's page, at /__mock/.
	inspector *inspector
	// guard decides who may use the admin API and the inspector.
	guard *guard
	// admin is the admin API, at /__mock/.
	admin *admin
}

// New builds a mock server. The contract is parsed once per process, so
// building many servers (one per test, say) is cheap. It fails when opts is
// outside its bounds (ErrInvalidOptions).
func New(opts Options) (*Server, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s := &Server{
		opts:              opts,
		cat:               cat,
		log:               opts.Logger,
		journal:           newJournal(opts.JournalSize, cat.contract),
		contractHeader:    []string{cat.contractID},
		readHeaderTimeout: ReadHeaderTimeout,
		readTimeout:       ReadTimeout,
		stopNow:           make(chan struct{}),
		bigChecks:         make(slots, max(2, runtime.GOMAXPROCS(0))),
		bodies:            semaphore.NewWeighted(opts.MaxBodyBytesInFlight),
	}
	for _, t := range opts.Tokens {
		s.tokens = append(s.tokens, []byte(t))
	}
	if opts.Upstream != "" || len(opts.Replay) > 0 {
		if s.proxy, err = newProxy(opts, cat, s.bigChecks); err != nil {
			return nil, fmt.Errorf("mockserver: %w", err)
		}
	}
	s.guard = newGuard(opts.AdminToken, opts.AdminHosts)
	s.admin = &admin{srv: s, guard: s.guard}
	if s.inspector, err = newInspector(s, s.guard); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s.exchanges.New = func() any { return new(exchange) }
	s.createTokenLog = s.log.Handler().WithAttrs([]slog.Attr{
		slog.String("method", http.MethodPost), slog.String("path", contract.CreateTokenPath)})
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves the mock: the API, its health and contract endpoints
// and, unless disabled, the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Serve answers requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting and lets requests in flight finish within
// Options.ShutdownTimeout, or until Stop is called. Requests still running
// then are cut: their connections closed, and they are logged and journaled
// as dropped. Serve returns nil after a clean drain, and an error when the
// listener fails or requests had to be cut.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.opts.DisableAdmin && s.opts.AdminToken == "" && !isLoopback(ln.Addr()) {
		s.log.Warn("the admin API is open to the network: whoever reaches this address can change the mock's answers and read its journal; "+
			"set an admin token (Options.AdminToken, --admin-token) or turn the admin API off (Options.DisableAdmin, --admin=false)",
			"addr", ln.Addr().String())
	}
	if n := len(s.opts.AdminToken); n > 0 && n < minAdminTokenBytes {
		s.log.Warn("the admin token is short: a guesser, even slowed to one wrong token a second, can find a short token; "+
			"use at least 16 random bytes (openssl rand -hex 16)",
			"admin_token_bytes", n, "min_bytes", minAdminTokenBytes)
	}
	// Every request's context ends when the requests are cut, whatever
	// step it is in.
	base, cut := context.WithCancel(context.Background())
	defer cut()
	srv := &http.Server{
		Handler:           s,
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: s.readHeaderTimeout,
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          log.New(s.LogWriter(), "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("mockserver: serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "drain_bound", s.opts.ShutdownTimeout)
	drain, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	go func() {
		select {
		case <-s.stopNow:
			cancel()
		case <-drain.Done():
		}
	}()
	err := srv.Shutdown(drain)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("mockserver: serve: %w", serveErr)
	}
	if err == nil {
		return nil
	}
	// Cut what is left: their contexts end, so each stops waiting, records
	// itself as dropped and closes its connection; Close closes the rest.
	n := s.active.Load()
	cut()
	srv.Close()
	for deadline := time.Now().Add(cutGrace); s.active.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("mockserver: shutdown: cut %d requests in flight: %w", n, err)
}

// Stop ends Serve's drain at once, whether it is running or still to come:
// connections are closed and the requests still in flight are cut, logged
// and journaled as dropped. Call it on a second SIGTERM or SIGINT.
func (s *Server) Stop() { s.stopOnce.Do(func() { close(s.stopNow) }) }

// isLoopback reports whether addr only listens on a loopback interface.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// ContractID returns the value of the ContractHeader the server sends.
func (s *Server) ContractID() string { return s.cat.contractID }

// MaxFaultDelay is the longest delay a queued fault may have: what the
// server can wait, after a body read as slow as ReadTimeout allows and the
// configured latency, and still answer before WriteTimeout.
func (s *Server) MaxFaultDelay() time.Duration {
	return upstreamBudget - s.opts.Latency - s.opts.LatencyJitter - s.opts.UpstreamTimeout
}

// Drift sums up how the upstream's answers departed from the contract, in
// proxy mode (Options.Upstream): each distinct departure, how often, when,
// and the first requests it was seen in.
func (s *Server) Drift() DriftReport {
	if s.proxy == nil {
		return DriftReport{Contract: s.cat.contractID, Drift: []Drift{}}
	}
	return s.proxy.report()
}

// Replay returns how far the answers of Options.Replay have been served:
// each distinct request recorded, with its answers and those left. It is
// empty without Options.Replay.
func (s *Server) Replay() ReplayState {
	if s.proxy == nil || s.proxy.replay == nil {
		return ReplayState{Requests: []ReplayedRequest{}}
	}
	return s.proxy.replay.state()
}

// RewindReplay makes the answers of Options.Replay start again from the
// first recorded for each request, as when the server started.
func (s *Server) RewindReplay() {
	if s.proxy != nil && s.proxy.replay != nil {
		s.proxy.replay.rewind()
	}
}

// ResetDrift empties the drift report.
func (s *Server) ResetDrift() {
	if s.proxy != nil {
		s.proxy.drift.reset()
	}
}

// Requests returns the journal's entries that match f, newest first.
func (s *Server) Requests(f Filter) []Entry { return s.journal.list(f) }

// RequestForToken returns the journal entry of the request that was issued
// token, if the journal still holds it.
func (s *Server) RequestForToken(token string) (Entry, bool) { return s.journal.byToken(token) }

// ResetRequests empties the journal.
func (s *Server) ResetRequests() { s.journal.reset() }

// QueueFault queues f for the next f.Times matching requests. It fails
// (ErrInvalidFault) when f names a status or example the contract does not
// document, when its delay is over MaxFaultDelay or its Times over
// MaxFaultTimes, or when MaxQueuedFaults are queued already.
func (s *Server) QueueFault(f Fault) error {
	_, err := s.queueFault(f)
	return err
}

// queueFault queues f and returns it as queued, its defaults filled in.
func (s *Server) queueFault(f Fault) (Fault, error) {
	f, err := f.check(s.cat, s.MaxFaultDelay())
	if err != nil {
		return f, err
	}
	return f, s.faults.push(f)
}

// Faults returns the faults still queued, each with the times it has left.
func (s *Server) Faults() []Fault { return s.faults.list() }

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.faults.clear() }
