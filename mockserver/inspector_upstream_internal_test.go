package mockserver

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/contract"
)

// The drift report keeps, beside each request id, the id the upstream
// answered with when it was another: the one its operators know.
func TestDriftKeepsTheUpstreamsRequestIDs(t *testing.T) {
	var d driftReport
	dep := []contract.Departure{{Kind: contract.DepartureBody, Where: "/data/token", Rule: "must be a uuid"}}
	d.add(200, dep, 0, "echoed", "", time.Now())
	d.add(200, dep, 0, "own", "upstream-own", time.Now())
	d.add(200, dep, 0, "none", "", time.Now())
	got := d.report().Drift[0]
	if !slices.Equal(got.RequestIDs, []string{"echoed", "own", "none"}) || !slices.Equal(got.UpstreamRequestIDs, []string{"", "upstream-own", ""}) {
		t.Errorf("request ids %q, upstream's %q; want the three, and the upstream's own beside the second", got.RequestIDs, got.UpstreamRequestIDs)
	}
	d.reset()
	d.add(200, dep, 0, "echoed", "", time.Now())
	if got := d.report().Drift[0]; got.UpstreamRequestIDs != nil {
		t.Errorf("upstream ids %q for an upstream that sent the ids back, want none", got.UpstreamRequestIDs)
	}
	for i := range 2 * maxDriftRequestIDs {
		d.add(200, dep, 0, strings.Repeat("r", i+1), strings.Repeat("u", i+1), time.Now())
	}
	if got := d.report().Drift[0]; len(got.RequestIDs) != maxDriftRequestIDs || len(got.UpstreamRequestIDs) != maxDriftRequestIDs {
		t.Errorf("%d request ids and %d upstream ids kept, want %d of each", len(got.RequestIDs), len(got.UpstreamRequestIDs), maxDriftRequestIDs)
	}
}

// An answer served from a record says so on the page, where an answer
// from the upstream says "upstream".
func TestInspectorSaysAnAnswerWasReplayed(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, replayed := range []bool{false, true} {
		e := Entry{Seq: 1, Method: http.MethodPost, Path: "/verify/token/create", Status: 200, Outcome: OutcomeProxied,
			Upstream: &UpstreamAnswer{Status: 200, Replayed: replayed, RequestID: "recorded-id", Body: `{"code":"ok"}`,
				Header: http.Header{"Content-Type": {"application/json"}}}}
		var buf bytes.Buffer
		if err := s.inspector.tmpl.ExecuteTemplate(&buf, "entry", s.inspector.entryView(&e, true)); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		for _, want := range []string{`<dd class="upstream-id"><code>recorded-id</code>`, `&#34;code&#34;: &#34;ok&#34;`} {
			if !strings.Contains(page, want) {
				t.Errorf("replayed %v: the entry lacks %q", replayed, want)
			}
		}
		if got := strings.Contains(page, `<span class="replayed">replayed</span>`) && strings.Contains(page, "<h3>Replayed answer</h3>"); got != replayed {
			t.Errorf("replayed %v: the entry says replayed: %v\n%s", replayed, got, page)
		}
		if got := strings.Contains(page, "<h3>Upstream answer</h3>"); got == replayed {
			t.Errorf("replayed %v: the entry says upstream: %v", replayed, got)
		}
	}
}
