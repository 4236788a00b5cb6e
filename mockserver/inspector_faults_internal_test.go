package mockserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/gen"
)

// The fault queue's version moves with every change to the queue, and
// only then: the inspector's fragment answers 304 by it.
func TestFaultQueueVersionMovesWithEveryChange(t *testing.T) {
	var q faultQueue
	uid := "1234"
	other := "5678"
	steps := []struct {
		name    string
		do      func()
		changed bool
	}{
		{"push a fault for two requests", func() { q.push(Fault{Status: 429, Times: 2, Match: Match{UserExternalID: uid}}) }, true},
		{"a request it does not match", func() { q.take(&gen.TokenRequest{UserExternalId: &other}) }, false},
		{"take it once: it stays, with one time left", func() { q.take(&gen.TokenRequest{UserExternalId: &uid}) }, true},
		{"list the queue", func() { q.list(); q.head(maxPageFaults); q.anyMatch() }, false},
		{"take it again: it goes", func() { q.take(&gen.TokenRequest{UserExternalId: &uid}) }, true},
		{"take from an empty queue", func() { q.take(nil) }, false},
		{"clear", func() { q.clear() }, true},
	}
	for _, step := range steps {
		before := q.version()
		step.do()
		if changed := q.version() != before; changed != step.changed {
			t.Errorf("%s: version changed %v, want %v", step.name, changed, step.changed)
		}
	}
	for range MaxQueuedFaults {
		if err := q.push(Fault{Status: 503}); err != nil {
			t.Fatal(err)
		}
	}
	before := q.version()
	if q.push(Fault{Status: 503}) == nil || q.version() != before {
		t.Errorf("a push refused over MaxQueuedFaults: version moved from %d to %d", before, q.version())
	}
	head, queued := q.head(maxPageFaults)
	if len(head) != maxPageFaults || queued != MaxQueuedFaults {
		t.Errorf("head: %d faults of %d, want %d of %d", len(head), queued, maxPageFaults, MaxQueuedFaults)
	}
}

// Past maxRendersAtOnce renders in progress, the page, its fragment and
// the fault form's error page answer 503 with Retry-After at once, rather
// than queueing; an unchanged fragment is still answered 304, and a slot
// given back serves again.
func TestInspectorBoundsRendersAtOnce(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "http://localhost"+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	badFault := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "http://localhost"+faultFormPath, strings.NewReader(url.Values{"status": {"299"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	etag := get(livePath).Header().Get("ETag")
	var releases []func()
	for range maxRendersAtOnce {
		release, ok := s.inspector.renders.tryTake()
		if !ok {
			t.Fatalf("only %d render slots, want %d", len(releases), maxRendersAtOnce)
		}
		releases = append(releases, release)
	}
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"the page":               get(inspectorPath),
		"the fragment":           get(livePath),
		"the fault form's error": badFault(),
	} {
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != renderRetryAfter ||
			!strings.Contains(rec.Body.String(), "try again") {
			t.Errorf("%s with every render slot taken: %d, Retry-After %q; want 503, %s", name, rec.Code, rec.Header().Get("Retry-After"), renderRetryAfter)
		}
	}
	if rec := get(livePath, "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("an unchanged poll with every render slot taken: %d, want 304", rec.Code)
	}
	releases[0]()
	if rec := get(inspectorPath); rec.Code != http.StatusOK {
		t.Errorf("the page after a slot came back: %d, want 200", rec.Code)
	}
	if rec := badFault(); rec.Code != http.StatusBadRequest {
		t.Errorf("the fault form's error after a slot came back: %d, want 400", rec.Code)
	}
	for _, release := range releases[1:] {
		release()
	}
	if n := len(s.inspector.renders); n != 0 {
		t.Errorf("%d render slots still taken after every render ended", n)
	}
}
