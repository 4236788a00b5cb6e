// Command reference serves refserver's bare handler, the yardstick of
// `make bench`, with the same server timeouts as benji-mock's.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/benjiconnect/benji/bench/refserver"
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
	// The same server timeouts as benji-mock's, so that the comparison is
	// of what the handlers do, not of the connection handling around them.
	srv := &http.Server{
		Addr:              *addr,
		Handler:           refserver.Handler(),
		ReadHeaderTimeout: mockserver.ReadHeaderTimeout,
		ReadTimeout:       mockserver.ReadTimeout,
		WriteTimeout:      mockserver.WriteTimeout,
		IdleTimeout:       mockserver.IdleTimeout,
	}
	log.Fatal(srv.ListenAndServe())
}
