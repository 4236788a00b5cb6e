// Command reference is the benchmark's yardstick: a bare echo handler on the
// API's route that reads the body and answers a fresh token, with no
// validation, no journal and no logging. It is the limit of this stack on
// the machine; `make bench` reports the mock's throughput as a ratio of it.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/benjiconnect/benji/internal/profiling"
	"github.com/benjiconnect/benji/mockserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4011", "address to listen on")
	pprofAddr := flag.String("pprof-addr", "", "serve Go's pprof endpoints on this address (off when empty)")
	flag.Parse()
	if *pprofAddr != "" {
		if err := profiling.Start(*pprofAddr); err != nil {
			log.Fatal(err)
		}
	}
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
	// The same server timeouts as benji-mock's, so that the comparison is
	// of what the handlers do, not of the connection handling around them.
	srv := &http.Server{
		Addr:              *addr,
		Handler:           e,
		ReadHeaderTimeout: mockserver.ReadHeaderTimeout,
		ReadTimeout:       mockserver.ReadTimeout,
		WriteTimeout:      mockserver.WriteTimeout,
		IdleTimeout:       mockserver.IdleTimeout,
	}
	log.Fatal(srv.ListenAndServe())
}
