package mockserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/benjiconnect/benji"
	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/contract"
)

// ContractHeader names the response header that carries the contract the
// mock validates against, as "info.version+hash" (for example
// "1.0.0+3f2a9c1b7d4e"): a stale mock image shows in it.
const ContractHeader = "X-Benji-Contract"

// Timeouts of the HTTP server that Serve runs, so that a slow client cannot
// hold a connection forever. WriteTimeout leaves room for queued delays.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 2 * time.Minute
	IdleTimeout       = 2 * time.Minute
)

// Server is the mock Benji API. It implements http.Handler; its methods are
// the test handles (journal, faults) that the admin API also exposes.
type Server struct {
	opts    Options
	cat     *catalog
	log     *slog.Logger
	tokens  [][]byte // nil: any non-empty token
	filter  *openapi3filter.Options
	journal *journal
	faults  faultQueue
	handler http.Handler
	// contractHeader is the ContractHeader value, shared by every answer.
	contractHeader []string
	// jsonContentType is the Content-Type value of the API's answers.
	jsonContentType []string
	// readHeaderTimeout is ReadHeaderTimeout; tests shorten it.
	readHeaderTimeout time.Duration
}

var _ gen.ServerInterface = (*api)(nil)

// New builds a mock server. The contract is parsed once per process, so
// building many servers (one per test, say) is cheap.
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
		journal:           newJournal(opts.JournalSize),
		contractHeader:    []string{cat.contractID},
		jsonContentType:   []string{echo.MIMEApplicationJSON},
		readHeaderTimeout: ReadHeaderTimeout,
	}
	for _, t := range opts.Tokens {
		s.tokens = append(s.tokens, []byte(t))
	}
	s.filter = cat.contract.Options(s.authenticate)
	s.handler = s.routes()
	return s, nil
}

// routes wires echo: the contract's operation through the generated
// interface, behind request validation; health, spec and admin beside it.
// Everything echo-specific stays in this package.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.answerError
	e.Use(s.middleware)

	gen.RegisterHandlersWithOptions(wrapOnce{e}, &api{s}, gen.RegisterHandlersOptions{
		OperationMiddlewares: map[string][]echo.MiddlewareFunc{"createToken": {s.beforeCreateToken}},
	})
	// echo answers OPTIONS itself with 204, which the contract does not
	// document; the API takes POST only.
	e.OPTIONS(contract.CreateTokenPath, func(echo.Context) error { return echo.ErrMethodNotAllowed })

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSONBlob(http.StatusOK, []byte(`{"status":"ok"}`))
	})
	spec := benji.OpenAPI()
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", spec)
	})
	if !s.opts.DisableAdmin {
		s.adminRoutes(e.Group(adminPrefix))
	}
	return e
}

// wrapOnce registers the generated routes with their middleware applied
// once, at registration: echo would wrap the handler anew on every request.
// The contract's one operation is a POST; other methods fall through to
// echo's own registration, which is correct, only slower.
type wrapOnce struct{ *echo.Echo }

// POST registers h behind m.
func (r wrapOnce) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	return r.Echo.POST(path, h)
}

// ServeHTTP serves the mock API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Serve answers requests on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets requests in flight finish within
// Options.ShutdownTimeout, and returns nil. It returns an error when the
// listener fails or the requests in flight outlast the bound.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.readHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
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
	if err := srv.Shutdown(drain); err != nil {
		srv.Close()
		return fmt.Errorf("mockserver: shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("mockserver: serve: %w", err)
	}
	return nil
}

// Stop ends a drain that Serve is running at once: connections are closed
// and the requests still in flight are cut, journaled and logged as dropped.
// Call it on a second SIGTERM or SIGINT. It does nothing when Serve is not
// draining.
func (s *Server) Stop() {}

// ContractID returns the value of the ContractHeader the server sends.
func (s *Server) ContractID() string { return s.cat.contractID }

// Requests returns the journal's entries that match f, newest first.
func (s *Server) Requests(f Filter) []Entry { return s.journal.list(f) }

// RequestForToken returns the journal entry of the request that was issued
// token, if the journal still holds it.
func (s *Server) RequestForToken(token string) (Entry, bool) { return s.journal.byToken(token) }

// ResetRequests empties the journal.
func (s *Server) ResetRequests() { s.journal.reset() }

// QueueFault queues f for the next f.Times matching requests. It fails when
// f names a status or example the contract does not document.
func (s *Server) QueueFault(f Fault) error {
	f, err := f.check(s.cat)
	if err != nil {
		return err
	}
	s.faults.push(f)
	return nil
}

// Faults returns the faults still queued, each with the times it has left.
func (s *Server) Faults() []Fault { return s.faults.list() }

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.faults.clear() }
