package mockserver_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benjiconnect/benji/mockserver"
)

func TestBodiesInFlightBoundsRefusedAtStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts mockserver.Options
		ok   bool
	}{
		{"the default", mockserver.Options{}, true},
		{"one whole body", mockserver.Options{MaxBodyBytesInFlight: mockserver.DefaultMaxBodyBytes}, true},
		{"the largest", mockserver.Options{MaxBodyBytesInFlight: mockserver.MaxMaxBodyBytesInFlight}, true},
		{"one whole larger body", mockserver.Options{MaxBodyBytes: mockserver.MaxMaxBodyBytes, MaxBodyBytesInFlight: mockserver.MaxMaxBodyBytes}, true},
		{"negative", mockserver.Options{MaxBodyBytesInFlight: -1}, false},
		{"under one body", mockserver.Options{MaxBodyBytesInFlight: mockserver.DefaultMaxBodyBytes - 1}, false},
		{"under one larger body", mockserver.Options{MaxBodyBytes: 2 << 20, MaxBodyBytesInFlight: 2<<20 - 1}, false},
		{"the default under one large body", mockserver.Options{MaxBodyBytes: mockserver.MaxMaxBodyBytes, MaxBodyBytesInFlight: 1 << 20}, false},
		{"over the largest", mockserver.Options{MaxBodyBytesInFlight: mockserver.MaxMaxBodyBytesInFlight + 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mockserver.New(tc.opts)
			switch {
			case tc.ok && err != nil:
				t.Errorf("refused: %v", err)
			case !tc.ok && (!errors.Is(err, mockserver.ErrInvalidOptions) || !strings.Contains(err.Error(), "MaxBodyBytesInFlight must be between")):
				t.Errorf("error %v, want ErrInvalidOptions naming MaxBodyBytesInFlight", err)
			}
		})
	}
}

// Many bodies at once, more than the budget holds: each client gets 200 or
// 429 with Retry-After, none goes unanswered, and the journal holds each
// with the status its client got. (TestBodiesInFlightPastTheBudget holds a
// body to see a 429 for certain; here no client waits for another.)
func TestBodiesInFlightManyAtOnce(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.MaxBodyBytesInFlight = mockserver.DefaultMaxBodyBytes })
	const prefix, suffix = `{"mode":1,"display_name":"`, `"}`
	body := prefix + strings.Repeat("n", 600_000) + suffix
	const clients = 24
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[int]int{}
	for i := range clients {
		wg.Go(func() {
			req := apiRequest(ts.URL+createPath, strings.NewReader(body), partnerToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("client %d got no answer: %.200v", i, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 && (resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "") {
				t.Errorf("client %d got %d (Retry-After %q), want 200 or 429 with Retry-After", i, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			mu.Lock()
			got[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	journaled := map[int]int{}
	for _, e := range ts.Requests(mockserver.Filter{}) {
		journaled[e.Status]++
	}
	if fmt.Sprint(journaled) != fmt.Sprint(got) {
		t.Errorf("the journal holds statuses %v, the clients got %v", journaled, got)
	}
	t.Logf("%d clients: %v", clients, got)
	// Each request gives its share back once finish has written its line,
	// just after its client has the answer: wait for the whole budget.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		a := create(t, ts, body)
		if a.status == 200 {
			break
		}
		if a.status != 429 || time.Now().After(deadline) {
			t.Fatalf("a body after the load got %d, want 200 once the budget is whole again", a.status)
		}
	}
}
