package mockserver_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// A body of bytes that JSON writes as six each (a control byte is \u0001,
// an invalid UTF-8 byte is \ufffd) is six times longer in the journal than
// on the wire: one under 4 KiB must still be cut, not kept whole, or its
// entry breaks MaxEntryBytes.
func TestJournalEntryOfAnEscapedBodyStaysWithinMaxEntryBytes(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.Tokens = []string{partnerToken} })
	for _, b := range []string{"\x01", "\xff"} {
		for _, n := range []int{600, 682, 683, 700, 2000, 4000, 4096} {
			t.Run(fmt.Sprintf("%d bytes of %q", n, b), func(t *testing.T) {
				ts.ResetRequests()
				body := strings.Repeat(b, n)
				if a := create(t, ts, body); a.status != 400 {
					t.Fatalf("status %d, want 400; body %s", a.status, clip(a.body))
				}
				entries := ts.Requests(mockserver.Filter{})
				if len(entries) != 1 {
					t.Fatalf("%d journal entries, want 1", len(entries))
				}
				e := entries[0]
				if size := entrySize(t, e); size > mockserver.MaxEntryBytes {
					t.Errorf("the entry encodes as %d bytes, over MaxEntryBytes (%d); truncated %v, body kept %d bytes",
						size, mockserver.MaxEntryBytes, e.Truncated, len(e.Body))
				}
				// MaxEntryBytes's doc: every cut is in encoded bytes, the
				// body at 4 KiB.
				if encoded, _ := json.Marshal(e.Body); e.Body == "" || len(encoded) > 4<<10+2 {
					t.Errorf("the entry keeps a body of %d bytes that encodes as %d, want some and at most 4 KiB (+2 quotes)", len(e.Body), len(encoded))
				}
				a := request(t, "GET", ts.URL+"/__mock/requests", "")
				var list struct{ Requests []json.RawMessage }
				if err := json.Unmarshal(a.body, &list); err != nil || len(list.Requests) != 1 {
					t.Fatalf("GET /__mock/requests: %v, status %d, body %s", err, a.status, clip(a.body))
				}
				if size := len(list.Requests[0]); size > mockserver.MaxEntryBytes {
					t.Errorf("GET /__mock/requests gives a %d-byte entry, over MaxEntryBytes (%d)", size, mockserver.MaxEntryBytes)
				}
			})
		}
	}
}
