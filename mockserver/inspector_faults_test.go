package mockserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// The seam between the inspector and the fault queue: the page shows a
// bounded view of the queue, whatever it holds.

// fullQueue queues MaxQueuedFaults faults whose match values are each
// about 60 KB (the admin API takes 64 KiB a fault), the first marked so
// that the test can tell it from the rest.
func fullQueue(t testing.TB, ts *mockserver.TestServer) {
	t.Helper()
	for i := range mockserver.MaxQueuedFaults {
		long := fmt.Sprintf("fault-%04d-", i) + strings.Repeat("x", 60_000) + "-END"
		f := mockserver.Fault{Status: 429, Times: 2, Match: mockserver.Match{UserExternalID: long, DisplayName: long}}
		if err := ts.QueueFault(f); err != nil {
			t.Fatalf("fault %d: %v", i, err)
		}
	}
}

func TestInspectorShowsABoundedViewOfTheFaultQueue(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	fullQueue(t, ts)
	for _, path := range []string{"/__mock/", "/__mock/ui/live"} {
		a := request(t, "GET", ts.URL+path, "")
		body := string(a.body)
		if a.status != http.StatusOK {
			t.Fatalf("%s: %d, want 200", path, a.status)
		}
		// 20 faults of two cut values each: a few KB, not 120 MB.
		if len(body) > 256<<10 {
			t.Errorf("%s: %d bytes with %d faults queued, want at most 256 KiB", path, len(body), mockserver.MaxQueuedFaults)
		}
		for _, want := range []string{
			`<span class="count">1000</span>`, // the count is the whole queue's
			"fault-0000-xxx",                  // the first fault, its value cut…
			"…",
			"fault-0019-", // …to the twentieth
			"and 980 more faults",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %q", path, want)
			}
		}
		for _, unwanted := range []string{"fault-0020-", "-END", strings.Repeat("x", 100)} {
			if strings.Contains(body, unwanted) {
				t.Errorf("%s: the page shows %q", path, unwanted)
			}
		}
	}
}

// A short queue is shown whole, without a note.
func TestInspectorShowsAShortFaultQueueWhole(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	for _, id := range []string{"short-id", strings.Repeat("é", 32)} { // 64 bytes exactly: not cut
		if err := ts.QueueFault(mockserver.Fault{Status: 503, Match: mockserver.Match{UserExternalID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	a := request(t, "GET", ts.URL+"/__mock/ui/live", "")
	body := string(a.body)
	for _, want := range []string{`<span class="count">2</span>`, "short-id", strings.Repeat("é", 32) + "&#34;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the fragment lacks %q", want)
		}
	}
	if strings.Contains(body, "more faults") || strings.Contains(body, "…") {
		t.Errorf("a queue of two is shown as cut")
	}
}

// The fragment's ETag follows the fault queue (a version counter, not a
// formatting of the queue): it changes when a fault is queued, taken
// (though it stays queued with times left), used up, or cleared, and it
// stays when nothing changed.
func TestInspectorFragmentTagFollowsTheFaultQueue(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	tag := func() string {
		t.Helper()
		a := request(t, "GET", ts.URL+"/__mock/ui/live", "")
		if a.status != http.StatusOK || a.header.Get("ETag") == "" {
			t.Fatalf("fragment: %d, ETag %q", a.status, a.header.Get("ETag"))
		}
		return a.header.Get("ETag")
	}
	unchanged := func(step, etag string) {
		t.Helper()
		if a := request(t, "GET", ts.URL+"/__mock/ui/live", "", "If-None-Match", etag); a.status != http.StatusNotModified {
			t.Errorf("%s: an unchanged poll got %d, want 304", step, a.status)
		}
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"queue a fault for two requests", func() {
			if err := ts.QueueFault(mockserver.Fault{Status: 429, Times: 2}); err != nil {
				t.Fatal(err)
			}
		}},
		{"queue one more by the admin API", func() {
			if a := request(t, "POST", ts.URL+"/__mock/faults", `{"status":503}`); a.status != http.StatusCreated {
				t.Fatalf("queue: %d", a.status)
			}
		}},
		{"take the first once (it stays queued)", func() {
			create(t, ts, seedTransfer)
			if f := ts.Faults(); len(f) != 2 || f[0].Times != 1 {
				t.Fatalf("queue after one take: %+v", f)
			}
		}},
		{"use it up", func() { create(t, ts, seedTransfer) }},
		{"clear the queue", func() {
			if a := request(t, "DELETE", ts.URL+"/__mock/faults", ""); a.status != http.StatusNoContent {
				t.Fatalf("clear: %d", a.status)
			}
		}},
	}
	before := tag()
	unchanged("at first", before)
	for _, step := range steps {
		step.do()
		after := tag()
		if after == before {
			t.Errorf("%s: the fragment's ETag stayed %s", step.name, before)
		}
		unchanged(step.name, after)
		before = after
	}
}
