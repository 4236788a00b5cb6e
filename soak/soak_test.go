// Package soak holds the mock's reliability tests under load: a bounded soak
// of many clients built with client/, and a SIGTERM under load against the
// real binary. Both send traffic to loopback only. `go test ./...` runs them
// briefly; `make soak` runs them longer.
package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/benjiconnect/benji/client"
	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

var (
	soakDuration = flag.Duration("soak.duration", 3*time.Second, "how long the soak runs")
	soakClients  = flag.Int("soak.clients", 16, "concurrent clients in the soak")
	soakMaxReqs  = flag.Int64("soak.max-requests", 2_000_000, "the soak stops after this many requests")
)

// kinds of request the soak sends, with what each must get.
const (
	kindValid   = iota // 200
	kindInvalid        // 400 invalid_request
	kindFaulted        // the queued fault: 500 internal_error (not retried)
	kinds
)

func TestSoak(t *testing.T) {
	s, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := loopback.Serve(t, s.Serve)
	base := srv.URL

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = *soakClients
	c, err := client.New("soak-token", client.WithBaseURL(base), client.WithoutRetries(), client.WithTransport(transport))
	if err != nil {
		t.Fatal(err)
	}
	goroutinesBefore := runtime.NumGoroutine()

	var sent, unexpected, fiveXX, injected atomic.Int64
	var firstProblem sync.Once
	problem := func(format string, args ...any) {
		unexpected.Add(1)
		firstProblem.Do(func() { t.Errorf(format, args...) })
	}
	deadline := time.Now().Add(*soakDuration)
	var wg sync.WaitGroup
	for w := range *soakClients {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline) && sent.Load() < *soakMaxReqs; i++ {
				kind := (w + i) % kinds
				req := client.Request{Mode: client.Transfer, DisplayName: "Soak", PartnershipID: "49",
					Actions: []client.Action{{Mode: client.Transfer, Amount: int64(1 + i), AllowsEditing: i%2 == 0}}}
				switch kind {
				case kindInvalid:
					req.Mode = 2
				case kindFaulted:
					// Each faulted request has its own fault, matched on its user.
					req.UserExternalID = fmt.Sprintf("fault-%d-%d", w, i)
					if err := s.QueueFault(mockserver.Fault{Status: 500, Match: mockserver.Match{UserExternalID: req.UserExternalID}}); err != nil {
						problem("queue fault: %v", err)
						return
					}
				}
				sent.Add(1)
				_, err := c.CreateToken(context.Background(), req)
				var apiErr *client.APIError
				errors.As(err, &apiErr)
				if apiErr != nil && apiErr.StatusCode >= 500 {
					fiveXX.Add(1)
				}
				switch {
				case kind == kindValid && err != nil:
					problem("valid request: %v", err)
				case kind == kindInvalid && (apiErr == nil || apiErr.StatusCode != 400 || apiErr.Code != "invalid_request"):
					problem("invalid request: got %v, want a 400 invalid_request", err)
				case kind == kindFaulted && (apiErr == nil || apiErr.StatusCode != 500 || apiErr.Code != "internal_error"):
					problem("faulted request: got %v, want the queued 500", err)
				case kind == kindFaulted:
					injected.Add(1)
				}
			}
		})
	}
	// Journal readers and resets, at the same time as the load.
	var reads atomic.Int64
	wg.Go(func() {
		for time.Now().Before(deadline) {
			for _, e := range s.Requests(mockserver.Filter{Limit: 50}) {
				if e.Outcome == "ok" && e.Request == nil {
					problem("a journaled success has no decoded request: %+v", e)
				}
			}
			if reads.Add(1)%20 == 0 {
				s.ResetRequests()
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	wg.Wait()

	// No lost requests: the journal numbers every request it sees, resets or
	// not, so a probe after the load must be number sent+1.
	probe, err := c.CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := s.RequestForToken(probe.Value)
	if !ok || e.Seq != uint64(sent.Load()+1) {
		t.Errorf("the probe is journal entry %d, want %d: requests were lost or double counted", e.Seq, sent.Load()+1)
	}
	if n := len(s.Faults()); n != 0 {
		t.Errorf("%d faults left queued, want 0", n)
	}
	if unexpected.Load() != 0 {
		t.Errorf("%d unexpected answers", unexpected.Load())
	}
	if fiveXX.Load() != injected.Load() {
		t.Errorf("%d answers were 5xx but only %d were injected", fiveXX.Load(), injected.Load())
	}
	if got := len(s.Requests(mockserver.Filter{})); got > mockserver.DefaultJournalSize {
		t.Errorf("the journal holds %d entries, over its bound", got)
	}

	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	const heapBound = 64 << 20
	if mem.HeapInuse > heapBound {
		t.Errorf("heap in use after the soak: %d MiB, over %d MiB", mem.HeapInuse>>20, heapBound>>20)
	}

	srv.Cancel()
	if err := srv.Wait(t); err != nil {
		t.Errorf("Serve: %v", err)
	}
	transport.CloseIdleConnections()
	loopback.WaitFor(t, "goroutines to return to their number before the load", func() bool {
		return runtime.NumGoroutine() <= goroutinesBefore+2
	})
	t.Logf("soak: %d requests from %d clients in %s (%d invalid, %d injected 500s), %d journal reads; heap in use %d MiB",
		sent.Load(), *soakClients, *soakDuration, sent.Load()/kinds, injected.Load(), reads.Load(), mem.HeapInuse>>20)
}

// TestSIGTERMUnderLoad runs the real binary, loads it, sends SIGTERM, and
// checks that every request the server took in got its answer, that nothing
// it did not take in is counted as lost, and that it exits 0 within its
// drain bound.
func TestSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildMock(t)
	const drain = 5 * time.Second
	m := startMock(t, bin, "--shutdown-timeout", drain.String(),
		"--latency", "20ms") // keep requests in flight when the signal lands
	cmd, addr := m.cmd, strings.TrimPrefix(m.base, "http://")

	var answered sync.Map // request id -> status, for requests that got an answer
	var failed sync.Map   // request id -> error, for requests that did not
	var next atomic.Int64
	var wg sync.WaitGroup
	stopLoad := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			hc := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				id := fmt.Sprintf("sigterm-%d", next.Add(1))
				req, _ := http.NewRequest("POST", "http://"+addr+"/verify/token/create",
					strings.NewReader(`{"mode":1,"display_name":"Reward Cookies"}`))
				req.Header.Set("Authorization", "Bearer t")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Request-Id", id)
				resp, err := hc.Do(req)
				if err != nil {
					failed.Store(id, err)
					if errors.Is(err, syscall.ECONNREFUSED) {
						return // the listener is gone
					}
					continue
				}
				resp.Body.Close()
				answered.Store(id, resp.StatusCode)
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // let the load build up
	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := cmd.Wait()
	took := time.Since(signalled)
	close(stopLoad)
	wg.Wait()
	<-m.logsDone

	// The log tells which requests the server handled.
	handled := map[string]int{}
	for _, line := range m.lines {
		if id, _ := line["request_id"].(string); line["msg"] == "request" && id != "" {
			status, _ := line["status"].(float64)
			handled[id] = int(status)
		}
	}

	if waitErr != nil {
		t.Errorf("benji-mock exited with %v, want 0", waitErr)
	}
	if took > drain+time.Second {
		t.Errorf("benji-mock took %s to exit, over its %s drain bound", took, drain)
	}
	nAnswered, nFailed := 0, 0
	answered.Range(func(k, v any) bool {
		nAnswered++
		if v.(int) != 200 {
			t.Errorf("request %s got %d", k, v)
		}
		return true
	})
	failed.Range(func(k, v any) bool {
		nFailed++
		if status, ok := handled[k.(string)]; ok {
			t.Errorf("request %s was handled by the server (status %d) but its answer was lost: %v", k, status, v)
		}
		return true
	})
	for id := range handled {
		if _, ok := answered.Load(id); !ok {
			t.Errorf("the server handled %s but the client got no answer", id)
		}
	}
	if nAnswered == 0 {
		t.Fatal("no request was answered: the test proved nothing")
	}
	t.Logf("SIGTERM under load: %d answered, %d not accepted after the signal, exit after %s", nAnswered, nFailed, took.Round(time.Millisecond))
}
