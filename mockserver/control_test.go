package mockserver_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

func TestQueuedFaultsShapeTheNextAnswers(t *testing.T) {
	t.Run("a status for the next two requests, then normal answers", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		if err := ts.QueueFault(mockserver.Fault{Status: 500, Times: 2}); err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{500, 500, 200} {
			if a := create(t, ts, seedConnect); a.status != want {
				t.Errorf("request %d: status = %d, want %d", i+1, a.status, want)
			}
		}
	})
	t.Run("a named example", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		if err := ts.QueueFault(mockserver.Fault{Example: "expiredToken"}); err != nil {
			t.Fatal(err)
		}
		if e := create(t, ts, seedConnect).envelope(t); e.Code != "expired_token" {
			t.Errorf("code = %q, want expired_token", e.Code)
		}
	})
	t.Run("matched on user_external_id", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		if err := ts.QueueFault(mockserver.Fault{Status: 429, Match: mockserver.Match{UserExternalID: "1234"}}); err != nil {
			t.Fatal(err)
		}
		if a := create(t, ts, seedConnect); a.status != 200 {
			t.Errorf("unmatched request: status = %d, want 200", a.status)
		}
		if a := create(t, ts, seedConnectKnownUser); a.status != 429 || a.header.Get("Retry-After") == "" {
			t.Errorf("matched request: status = %d Retry-After %q, want 429 with Retry-After", a.status, a.header.Get("Retry-After"))
		}
		if n := len(ts.Faults()); n != 0 {
			t.Errorf("%d faults left, want 0", n)
		}
	})
	t.Run("matched on partnership_id sent as a number", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		if err := ts.QueueFault(mockserver.Fault{Status: 500, Match: mockserver.Match{PartnershipID: "49"}}); err != nil {
			t.Fatal(err)
		}
		if a := create(t, ts, seedTransfer); a.status != 500 {
			t.Errorf("status = %d, want 500", a.status)
		}
	})
	t.Run("invalid requests do not use a fault up", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		if err := ts.QueueFault(mockserver.Fault{Status: 500}); err != nil {
			t.Fatal(err)
		}
		if a := create(t, ts, `{"mode":9}`); a.status != 400 {
			t.Errorf("invalid request: status = %d, want 400", a.status)
		}
		if a := create(t, ts, seedConnect); a.status != 500 {
			t.Errorf("next valid request: status = %d, want 500", a.status)
		}
	})
	t.Run("a delay", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		const delay = 50 * time.Millisecond
		if err := ts.QueueFault(mockserver.Fault{Delay: delay}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		create(t, ts, seedConnect).token(t)
		if took := time.Since(start); took < delay {
			t.Errorf("answered after %s, want at least %s", took, delay)
		}
	})
	t.Run("a dropped connection", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		if err := ts.QueueFault(mockserver.Fault{Drop: true}); err != nil {
			t.Fatal(err)
		}
		req := apiRequest(ts.URL+createPath, strings.NewReader(seedConnect), "x")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got status %d, want a dropped connection", resp.StatusCode)
		}
		// The journal entry is written after the connection closes.
		loopback.WaitFor(t, "the dropped request in the journal", func() bool { return len(ts.Requests(mockserver.Filter{})) == 1 })
		if e := ts.Requests(mockserver.Filter{}); e[0].Outcome != "dropped" || e[0].Status != 0 {
			t.Errorf("journal = %+v, want one dropped entry", e)
		}
	})
	t.Run("faults the contract does not document are refused", func(t *testing.T) {
		ts := mockserver.NewTestServer(t)
		for _, f := range []mockserver.Fault{
			{Status: 418},
			{Status: 501}, // a gateway's 502-504 may be injected, not other statuses
			{Example: "nope"},
			{Reset: true},
			{RetryAfter: time.Second},
			{Status: 503, RetryAfter: 2 * time.Hour},
			{Status: 429, Example: "expiredToken"},
			{Drop: true, Status: 500},
			{Times: -1, Status: 500},
			{},
		} {
			if err := ts.QueueFault(f); err == nil {
				t.Errorf("QueueFault(%+v) accepted", f)
			}
		}
	})
}

func TestAdminAPIQueuesFaultsReadsTheJournalAndClearsBoth(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	admin := ts.URL + "/__mock"

	a := request(t, "POST", admin+"/faults", `{"status":500,"times":2,"match":{"user_external_id":"1234"}}`, "Content-Type", "application/json")
	if a.status != 201 {
		t.Fatalf("queue fault: status = %d, body %s", a.status, a.body)
	}
	if a := request(t, "POST", admin+"/faults", `{"status":418}`); a.status != 400 || !strings.Contains(a.envelope(t).Message, "418") {
		t.Errorf("undocumented status: status = %d, body %s", a.status, a.body)
	}
	if a := request(t, "POST", admin+"/faults", `{"stauts":500}`); a.status != 400 {
		t.Errorf("misspelt field: status = %d, want 400", a.status)
	}
	if a := request(t, "POST", admin+"/faults", `{"delay":"soon"}`); a.status != 400 {
		t.Errorf("bad delay: status = %d, want 400", a.status)
	}
	var faults struct{ Faults []mockserver.Fault }
	json.Unmarshal(request(t, "GET", admin+"/faults", "").body, &faults)
	if len(faults.Faults) != 1 || faults.Faults[0].Times != 2 {
		t.Errorf("GET faults = %+v", faults)
	}

	if a := create(t, ts, seedConnectKnownUser); a.status != 500 {
		t.Errorf("status = %d, want the queued 500", a.status)
	}
	tok := create(t, ts, seedConnect).token(t).String()

	var journal struct{ Requests []mockserver.Entry }
	json.Unmarshal(request(t, "GET", admin+"/requests", "").body, &journal)
	if len(journal.Requests) != 2 || journal.Requests[0].Token != tok || journal.Requests[1].Status != 500 {
		t.Fatalf("journal = %+v, want the 200 then the 500, newest first", journal.Requests)
	}
	json.Unmarshal(request(t, "GET", admin+"/requests?status=500", "").body, &journal)
	if len(journal.Requests) != 1 || journal.Requests[0].Injected == "" {
		t.Errorf("filtered journal = %+v, want the one 500 marked as injected", journal.Requests)
	}
	if a := request(t, "GET", admin+"/requests?limit=x", ""); a.status != 400 {
		t.Errorf("limit=x: status = %d, want 400", a.status)
	}

	var entry mockserver.Entry
	a = request(t, "GET", admin+"/tokens/"+tok, "")
	json.Unmarshal(a.body, &entry)
	if a.status != 200 || entry.Request == nil || entry.Request.DisplayName != "Reward Cookies" {
		t.Errorf("token lookup: status %d entry %+v", a.status, entry)
	}
	if a := request(t, "GET", admin+"/tokens/nope", ""); a.status != 404 {
		t.Errorf("unknown token lookup: status = %d, want 404", a.status)
	}

	if a := request(t, "PUT", admin+"/faults", ""); a.status != 405 || !strings.Contains(a.header.Get("Allow"), "POST") || !strings.Contains(a.header.Get("Allow"), "DELETE") {
		t.Errorf("PUT /__mock/faults: status %d Allow %q, want 405 listing the admin path's methods", a.status, a.header.Get("Allow"))
	}

	request(t, "DELETE", admin+"/requests", "")
	request(t, "DELETE", admin+"/faults", "")
	if n, f := len(ts.Requests(mockserver.Filter{})), len(ts.Faults()); n != 0 || f != 0 {
		t.Errorf("after DELETE: %d entries, %d faults", n, f)
	}
}

func TestAdminCanBeTurnedOff(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.DisableAdmin = true })
	if a := request(t, "GET", ts.URL+"/__mock/requests", ""); a.status != 404 {
		t.Errorf("status = %d, want 404", a.status)
	}
}

func TestJournalKeepsTheNewestEntriesAndFiltersThem(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.JournalSize = 3 })
	var tokens []string
	for range 5 {
		tokens = append(tokens, create(t, ts, seedConnect).token(t).String())
	}
	got := ts.Requests(mockserver.Filter{})
	if len(got) != 3 {
		t.Fatalf("journal holds %d entries, want its bound of 3", len(got))
	}
	for i, e := range got {
		if want := uint64(5 - i); e.Seq != want || e.Token != tokens[4-i] {
			t.Errorf("entry %d: seq %d token %s, want seq %d token %s", i, e.Seq, e.Token, want, tokens[4-i])
		}
	}
	if _, ok := ts.RequestForToken(tokens[0]); ok {
		t.Error("an evicted token is still found")
	}
	e, ok := ts.RequestForToken(tokens[4])
	if !ok || e.Request == nil || e.Request.Mode != gen.Connect || e.Outcome != "ok" {
		t.Errorf("RequestForToken = %+v, %v", e, ok)
	}
	create(t, ts, seedConnectKnownUser)
	create(t, ts, `{"mode":2}`)
	if got := ts.Requests(mockserver.Filter{UserExternalID: "1234"}); len(got) != 1 {
		t.Errorf("filter by user_external_id: %d entries, want 1", len(got))
	}
	bad := ts.Requests(mockserver.Filter{Outcome: "invalid_request"})
	if len(bad) != 1 || len(bad[0].Violations) == 0 || bad[0].Body != `{"mode":2}` {
		t.Errorf("filter by outcome: %+v", bad)
	}
	if got := ts.Requests(mockserver.Filter{Limit: 2}); len(got) != 2 {
		t.Errorf("limit 2: %d entries", len(got))
	}
	ts.ResetRequests()
	if got := ts.Requests(mockserver.Filter{}); len(got) != 0 {
		t.Errorf("after reset: %d entries", len(got))
	}
}

// TestConcurrentUse runs calls, journal reads and fault queueing at once;
// run it with -race.
func TestConcurrentUse(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.JournalSize = 50 })
	const workers, calls = 8, 25
	var wg sync.WaitGroup
	tokens := make(chan string, workers*calls)
	for range workers {
		wg.Go(func() {
			for range calls {
				a := create(t, ts, seedTransfer)
				if a.status == 200 {
					tokens <- a.token(t).String()
				} else if a.status != 500 {
					t.Errorf("status %d", a.status)
				}
			}
		})
	}
	wg.Go(func() {
		for range calls {
			if err := ts.QueueFault(mockserver.Fault{Status: 500}); err != nil {
				t.Error(err)
			}
			ts.Requests(mockserver.Filter{Limit: 10})
			ts.Faults()
		}
	})
	wg.Wait()
	close(tokens)
	seen := map[string]bool{}
	for tok := range tokens {
		if seen[tok] {
			t.Fatalf("token %s issued twice", tok)
		}
		seen[tok] = true
	}
	if len(seen)+calls-len(ts.Faults()) != workers*calls {
		t.Errorf("%d tokens + %d faults used != %d calls", len(seen), calls-len(ts.Faults()), workers*calls)
	}
}

func TestQueueFaultErrorIsTyped(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	err := ts.QueueFault(mockserver.Fault{Status: 418})
	if !errors.Is(err, mockserver.ErrInvalidFault) || !strings.Contains(err.Error(), "418") {
		t.Errorf("err = %v, want ErrInvalidFault naming 418", err)
	}
}
