// Package refserver is the benchmarks' yardstick: a bare echo handler on
// the API's route that reads the body and answers a fresh token, with no
// validation, no journal and no logging. It is the limit of this stack on
// the machine; the benchmarks report the mock as a ratio of it.
package refserver

import (
	"io"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// Handler returns the reference server's routes: POST
// /verify/token/create and GET /healthz.
func Handler() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/verify/token/create", func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		id, err := uuid.NewUUID()
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, []byte(`{"code":"ok","data":{"token":"`+id.String()+`"}}`))
	})
	e.GET("/healthz", func(c echo.Context) error { return c.JSONBlob(http.StatusOK, []byte(`{"status":"ok"}`)) })
	return e
}
