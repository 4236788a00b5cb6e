package mockserver_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

func TestServeShutsDownGracefullyWithARequestInFlight(t *testing.T) {
	s, err := mockserver.New(mockserver.Options{ShutdownTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := loopback.Serve(t, s.Serve)
	url := srv.URL

	// The in-flight request is held in the handler by a queued delay.
	if err := s.QueueFault(mockserver.Fault{Delay: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	status := make(chan int, 1)
	go func() {
		req := apiRequest(url+createPath, strings.NewReader(seedConnect), "x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request failed: %v", err)
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	loopback.WaitFor(t, "the request to reach the handler", func() bool { return len(s.Faults()) == 0 })
	srv.Cancel()

	if got := <-status; got != http.StatusOK {
		t.Errorf("in-flight request: status %d, want 200", got)
	}
	if err := srv.Wait(t); err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
	if _, err := net.DialTimeout("tcp", srv.Addr, time.Second); err == nil {
		t.Error("the listener still accepts connections after shutdown")
	}
}
