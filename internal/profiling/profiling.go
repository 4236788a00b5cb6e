// Package profiling serves Go's pprof endpoints on an address of their own,
// apart from the API, for finding where a server's time goes under load.
package profiling

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
)

// Start serves /debug/pprof/ on addr in the background until the process
// ends. It returns once the address is listening.
func Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	// No /debug/pprof/cmdline: the command line may hold --tokens and
	// --admin-token.
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux) //nolint:errcheck // ends with the process
	return nil
}
