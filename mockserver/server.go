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
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/semaphore"

	"github.com/benjiconnect/benji"
	"github.com/benjiconnect/benji/gen/echoserver"
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
	bigChecks chan struct{}
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
		bigChecks:         make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		bodies:            semaphore.NewWeighted(opts.MaxBodyBytesInFlight),
	}
	for _, t := range opts.Tokens {
		s.tokens = append(s.tokens, []byte(t))
	}
	if opts.Upstream != "" {
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

// routes wires echo: the contract's operation through the generated
// interface; health, spec and admin beside it; routing failures as the
// contract's envelope. Everything echo-specific is in this file.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// Handlers answer everything themselves; echo's error handler sees only
	// its routing failures, 404 and 405.
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		s.handle(isAPI(c.Request().URL.Path), func(r *http.Request, _ *exchange) answer {
			return s.routingFailure(err, r, c.Response().Header().Get(echo.HeaderAllow))
		})(c) //nolint:errcheck // handle's functions return nil
	}
	echoserver.RegisterHandlers(e, &api{s})
	// echo answers OPTIONS itself with 204, which the contract does not
	// allow; the API takes POST only.
	e.OPTIONS(contract.CreateTokenPath, s.handle(true, func(r *http.Request, _ *exchange) answer {
		return s.routingFailure(echo.ErrMethodNotAllowed, r, "")
	}))
	// The mock's own endpoints. Each path takes its methods, HEAD beside
	// GET, and OPTIONS, which says which they are.
	own := func(path string, methods map[string]echo.HandlerFunc) {
		allow := []string{http.MethodOptions}
		for method, h := range methods {
			e.Add(method, path, h)
			allow = append(allow, method)
			if method == http.MethodGet {
				e.Add(http.MethodHead, path, h)
				allow = append(allow, http.MethodHead)
			}
		}
		slices.Sort(allow)
		options := answer{status: http.StatusNoContent, header: http.Header{"Allow": {strings.Join(allow, ", ")}}, outcome: OutcomeOK}
		e.OPTIONS(path, s.handle(false, func(*http.Request, *exchange) answer { return options }))
	}
	health := jsonAnswer(http.StatusOK, OutcomeOK, []byte(`{"status":"ok"}`))
	own("/healthz", map[string]echo.HandlerFunc{
		// Asked every second by compose's healthcheck: logged at debug
		// level unless it fails.
		http.MethodGet: s.handle(false, func(_ *http.Request, x *exchange) answer { x.quiet = true; return health }),
	})
	spec := answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/yaml"}}, body: benji.OpenAPI(), outcome: OutcomeOK}
	own("/openapi.yaml", map[string]echo.HandlerFunc{
		http.MethodGet: s.handle(false, func(*http.Request, *exchange) answer { return spec }),
	})

	if !s.opts.DisableAdmin {
		admin := func(h func(*http.Request) answer) echo.HandlerFunc {
			return s.handle(false, func(r *http.Request, _ *exchange) answer { return s.admin.only(r, h) })
		}
		own(adminPrefix+"/requests", map[string]echo.HandlerFunc{
			http.MethodGet:    admin(s.admin.listRequests),
			http.MethodDelete: admin(s.admin.resetRequests),
		})
		own(adminPrefix+"/tokens/:token", map[string]echo.HandlerFunc{
			http.MethodGet: func(c echo.Context) error {
				token := c.Param("token")
				return admin(func(*http.Request) answer { return s.admin.requestForToken(token) })(c)
			},
		})
		own(adminPrefix+"/faults", map[string]echo.HandlerFunc{
			http.MethodPost:   admin(s.admin.queueFault),
			http.MethodGet:    admin(s.admin.listFaults),
			http.MethodDelete: admin(s.admin.clearFaults),
		})
		own(adminPrefix+"/drift", map[string]echo.HandlerFunc{
			http.MethodGet:    admin(s.admin.drift),
			http.MethodDelete: admin(s.admin.resetDrift),
		})
		// The request inspector (inspector.go): a page, the fragment it
		// polls, its files, and its forms. Each checks the admin token
		// itself, to answer a browser with HTML rather than JSON.
		toPage := answer{status: http.StatusMovedPermanently, header: http.Header{"Location": {inspectorPath}}, outcome: OutcomeOK}
		own(adminPrefix, map[string]echo.HandlerFunc{
			http.MethodGet: s.handle(false, func(*http.Request, *exchange) answer { return toPage }),
		})
		for path, h := range map[string]func(*http.Request, *exchange) answer{
			inspectorPath: s.inspector.page,
			livePath:      s.inspector.live,
		} {
			own(path, map[string]echo.HandlerFunc{http.MethodGet: s.handle(false, h)})
		}
		for path, a := range s.inspector.assets {
			own(path, map[string]echo.HandlerFunc{http.MethodGet: s.handle(false, s.inspector.serveAsset(a))})
		}
		for path, h := range map[string]func(*http.Request, *exchange) answer{
			faultFormPath:     s.inspector.queueFault,
			clearFaultsPath:   s.inspector.button(s.ClearFaults),
			clearRequestsPath: s.inspector.button(s.ResetRequests),
			clearDriftPath:    s.inspector.button(s.ResetDrift),
			loginPath:         s.inspector.signIn,
			logoutPath:        s.inspector.signOut,
		} {
			own(path, map[string]echo.HandlerFunc{http.MethodPost: s.handle(false, h)})
		}
	}
	return e
}

// handle adapts one of the mock's handlers to echo. Every request is
// recorded: begin, the handler's answer, deliver, and one deferred finish
// that logs it, journals it when api is set, and recovers a panic.
func (s *Server) handle(api bool, h func(*http.Request, *exchange) answer) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, r := c.Response().Writer, c.Request()
		x := s.begin(r, api)
		defer s.finish(w, r, x)
		s.deliver(w, r, x, h(r, x))
		return nil
	}
}

// api implements the generated server interface.
type api struct{ s *Server }

var _ echoserver.ServerInterface = (*api)(nil)

// CreateToken is the API's one operation, top to bottom.
func (a *api) CreateToken(c echo.Context) error {
	s := a.s
	w, r := c.Response().Writer, c.Request()
	// 1. Begin the record; finish writes the log line and the journal
	// entry once, whatever happens, and recovers a panic.
	x := s.begin(r, true)
	defer s.finish(w, r, x)
	// 2. The configured latency. It is waited in step 6, after the body
	// is read: a wait before would eat into the read timeout, and a
	// client that hangs up is only noticed once its body is in.
	latency := latency(s.opts.Latency, s.opts.LatencyJitter)
	// 3. The contract checks the request.
	ans, ok := s.checkRequest(r, x)
	if ok {
		// 4. Decide the answer: a queued fault, else Prefer, else a token (in
		// proxy mode, the upstream's answer).
		ans = s.decideAnswer(r, x)
	}
	// 5. The contract checks the answer: the mock's own is replaced when it
	// breaks the contract; the upstream's, in proxy mode, is recorded.
	ans = s.checkAnswer(r, x, ans)
	// 6. Wait the latency and any fault's delay, then write it, once.
	ans.delay += latency
	s.deliver(w, r, x, ans)
	return nil
}

// routingFailure answers a request no handler took: 404 for an unknown path,
// 405 (with Allow) for a method the path does not take. The API's path
// lists the contract's methods, not echo's (which adds OPTIONS).
func (s *Server) routingFailure(err error, r *http.Request, allow string) answer {
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		s.log.Error("handler failed", "error", err)
		return failure()
	}
	switch he.Code {
	case http.StatusNotFound:
		return errorAnswer(http.StatusNotFound, OutcomeNotFound, fmt.Sprintf("No operation at %q.", cutString(r.URL.EscapedPath(), maxPathBytes)))
	case http.StatusMethodNotAllowed:
		if isAPI(r.URL.Path) {
			allow = s.cat.allow
		} else {
			// echo's order varies; the OPTIONS answers sort theirs.
			methods := strings.Split(allow, ", ")
			slices.Sort(methods)
			allow = strings.Join(methods, ", ")
		}
		return errorAnswer(http.StatusMethodNotAllowed, OutcomeMethodNotAllowed, "This path takes "+allow+".").withHeader("Allow", allow)
	}
	return failure()
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

const adminPrefix = "/__mock"

// isAPI reports whether a path belongs to the contract's API rather than to
// the mock's own endpoints; only API requests are journaled.
func isAPI(path string) bool {
	return path != "/healthz" && path != "/openapi.yaml" &&
		path != adminPrefix && !strings.HasPrefix(path, adminPrefix+"/")
}
