package mockserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/benjiconnect/benji/gen"
)

// adminRoutes serves the Go handles over HTTP, for services that run the
// mock in docker-compose:
//
//	GET    /__mock/requests          the journal, newest first (?status=&outcome=&user_external_id=&limit=)
//	DELETE /__mock/requests          empty the journal
//	GET    /__mock/tokens/{token}    the request that was issued a token
//	POST   /__mock/faults            queue a fault (a Fault as JSON)
//	GET    /__mock/faults            the faults still queued
//	DELETE /__mock/faults            drop every queued fault
func (s *Server) adminRoutes(g *echo.Group) {
	g.GET("/requests", s.adminListRequests)
	g.DELETE("/requests", func(c echo.Context) error {
		s.ResetRequests()
		return c.NoContent(http.StatusNoContent)
	})
	g.GET("/tokens/:token", func(c echo.Context) error {
		e, ok := s.RequestForToken(c.Param("token"))
		if !ok {
			return s.writeError(c, http.StatusNotFound, "not_found", "No journaled request was issued this token.", nil)
		}
		return s.writeJSON(c, http.StatusOK, e)
	})
	g.POST("/faults", s.adminQueueFault)
	g.GET("/faults", func(c echo.Context) error {
		return s.writeJSON(c, http.StatusOK, map[string][]Fault{"faults": s.Faults()})
	})
	g.DELETE("/faults", func(c echo.Context) error {
		s.ClearFaults()
		return c.NoContent(http.StatusNoContent)
	})
}

func (s *Server) adminListRequests(c echo.Context) error {
	var f Filter
	q := c.QueryParams()
	var bad []gen.FieldError
	for _, p := range []struct {
		name string
		dst  *int
	}{{"status", &f.Status}, {"limit", &f.Limit}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				bad = append(bad, gen.FieldError{Field: p.name, Message: "must be a whole number, got " + strconv.Quote(v)})
				continue
			}
			*p.dst = n
		}
	}
	if len(bad) > 0 {
		return s.writeError(c, http.StatusBadRequest, "invalid_query", "The query parameters are not valid.", bad)
	}
	f.Outcome = q.Get("outcome")
	f.UserExternalID = q.Get("user_external_id")
	return s.writeJSON(c, http.StatusOK, map[string][]Entry{"requests": s.Requests(f)})
}

func (s *Server) adminQueueFault(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	if err != nil {
		return s.writeError(c, http.StatusBadRequest, "unreadable_body", "The request body could not be read.", nil)
	}
	var f Fault
	if err := json.Unmarshal(body, &f); err != nil {
		return s.writeError(c, http.StatusBadRequest, "invalid_fault", "The fault is not valid: "+err.Error()+".", nil)
	}
	if err := s.QueueFault(f); err != nil {
		msg := err.Error()
		if errors.Is(err, ErrInvalidFault) {
			msg = "The fault is not valid" + msg[len(ErrInvalidFault.Error()):]
		}
		return s.writeError(c, http.StatusBadRequest, "invalid_fault", msg+".", nil)
	}
	return s.writeJSON(c, http.StatusCreated, map[string][]Fault{"faults": s.Faults()})
}
