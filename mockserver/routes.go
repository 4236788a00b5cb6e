package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/benjiconnect/benji"
	"github.com/benjiconnect/benji/gen/echoserver"
	"github.com/benjiconnect/benji/internal/contract"
)

// Routing: echo's router, the mock's own endpoints beside the API, and
// the answers to what no route takes. Everything echo-specific is in this
// file and api.go.

// routes wires echo: the contract's operation through the generated
// interface; health, spec and admin beside it; routing failures as the
// contract's envelope.
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
		own(adminPrefix+"/replay", map[string]echo.HandlerFunc{
			http.MethodGet: admin(s.admin.replay),
		})
		own(adminPrefix+"/replay/rewind", map[string]echo.HandlerFunc{
			http.MethodPost: admin(s.admin.rewindReplay),
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

const adminPrefix = "/__mock"

// isAPI reports whether a path belongs to the contract's API rather than to
// the mock's own endpoints; only API requests are journaled.
func isAPI(path string) bool {
	return path != "/healthz" && path != "/openapi.yaml" &&
		path != adminPrefix && !strings.HasPrefix(path, adminPrefix+"/")
}
