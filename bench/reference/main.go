// Command reference serves refserver's bare handler, the yardstick of
// `make bench`, with the same server timeouts as benji-mock's. With
// --proxy-to it is instead a bare net/http/httputil reverse proxy to that
// URL (health answered itself), the yardstick of proxy mode's overhead.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/benjiconnect/benji/bench/refserver"
	"github.com/benjiconnect/benji/internal/profiling"
	"github.com/benjiconnect/benji/mockserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4011", "address to listen on")
	pprofAddr := flag.String("pprof-addr", "", "serve Go's pprof endpoints on this address (off when empty)")
	proxyTo := flag.String("proxy-to", "", "be a bare reverse proxy to this URL instead")
	flag.Parse()
	handler := refserver.Handler()
	if *proxyTo != "" {
		target, err := url.Parse(*proxyTo)
		if err != nil {
			log.Fatal(err)
		}
		mux := http.NewServeMux()
		rp := httputil.NewSingleHostReverseProxy(target)
		// As many idle connections as benji-mock keeps: the default two
		// would open a connection per request under load.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConns, transport.MaxIdleConnsPerHost = 256, 256
		rp.Transport = transport
		mux.Handle("/", rp)
		mux.Handle("GET /healthz", refserver.Handler())
		handler = mux
	}
	if *pprofAddr != "" {
		if err := profiling.Start(*pprofAddr); err != nil {
			log.Fatal(err)
		}
	}
	// The same server timeouts as benji-mock's, so that the comparison is
	// of what the handlers do, not of the connection handling around them.
	srv := &http.Server{
		Addr:              *addr,
		Handler:           handler,
		ReadHeaderTimeout: mockserver.ReadHeaderTimeout,
		ReadTimeout:       mockserver.ReadTimeout,
		WriteTimeout:      mockserver.WriteTimeout,
		IdleTimeout:       mockserver.IdleTimeout,
	}
	log.Fatal(srv.ListenAndServe())
}
