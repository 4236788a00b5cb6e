package mockserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// entrySize is the size of an entry as the admin API encodes it.
func entrySize(t *testing.T, e mockserver.Entry) int {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// Every entry stays within MaxEntryBytes, and a 400 within a fixed size,
// whatever the request sends.
func TestHostileRequestsStayBounded(t *testing.T) {
	logs := &syncBuffer{} // the log line follows the answer
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	long := strings.Repeat("é", 500_000) // 1 MB of two-byte characters
	bomb := `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` + strings.Repeat(`{},`, 340_000) + `{}]}}`
	manyActions := `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` + strings.Repeat(`{"mode":3,"amount":1},`, 100) + `{"mode":4,"amount":2}]}}`
	tests := []struct {
		name       string
		path       string
		body       string
		header     []string
		wantStatus int
	}{
		{"a 1 MB display_name", createPath, `{"mode":1,"display_name":"` + long + `"}`, nil, 200},
		{"a 1 MB user_external_id and partnership_id", createPath,
			`{"mode":1,"display_name":"x","user_external_id":"` + long[:300_000] + `","partnership_id":"` + long[:300_000] + `"}`, nil, 200},
		{"340,000 empty actions", createPath, bomb, nil, 400},
		{"101 valid actions", createPath, manyActions, nil, 400},
		{"a 500,000-digit mode", createPath, `{"mode":` + strings.Repeat("1", 500_000) + `,"display_name":"x"}`, nil, 400},
		{"a 500,000-digit display_name", createPath, `{"mode":1,"display_name":` + strings.Repeat("9", 500_000) + `}`, nil, 400},
		{"100 amounts of 9,000 digits", createPath, `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` +
			strings.Repeat(`{"mode":3,"amount":-`+strings.Repeat("9", 9000)+`},`, 99) + `{"mode":3,"amount":1e400}]}}`, nil, 400},
		{"a 500,000-character string where a number goes", createPath, `{"mode":"` + long[:500_000] + `","display_name":"x"}`, nil, 400},
		{"4 KiB of control bytes", createPath, `{"mode":1,"display_name":"` + strings.Repeat("\x01", 4000) + `"}`, nil, 400},
		{"4 KiB of escaped control characters", createPath, `{"mode":1,"display_name":"` + strings.Repeat(`\u0001`, 600) + `"}`, nil, 200},
		{"60 actions with control characters for a mode", createPath, `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` +
			strings.Repeat(`{"mode":"`+strings.Repeat(`\u0001`, 40)+`","amount":"`+strings.Repeat(`\u0001`, 40)+`"},`, 59) + `{}]}}`, nil, 400},
		{"a 60 KB path", "/" + strings.Repeat("p", 60_000), seedConnect, nil, 404},
		{"a 60 KB Prefer", createPath, seedConnect, []string{"Prefer", "code=200, " + strings.Repeat("x=y; ", 12_000)}, 200},
		{"a 60 KB Prefer that is refused", createPath, seedConnect, []string{"Prefer", "code=" + strings.Repeat("9", 60_000)}, 400},
		{"a 60 KB content type", createPath, seedConnect, []string{"Content-Type", strings.Repeat("t", 60_000)}, 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts.ResetRequests()
			logs.Reset()
			id := "bounds-" + strings.ReplaceAll(tc.name, " ", "-")
			h := append([]string{"Authorization", "Bearer " + partnerToken, "Content-Type", "application/json", "X-Request-Id", id}, tc.header...)
			a := request(t, http.MethodPost, ts.URL+tc.path, tc.body, h...)
			loopback.WaitFor(t, "the request's log line", func() bool { return strings.Contains(logs.String(), "request_id="+id+" ") })
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %.300s", a.status, tc.wantStatus, a.body)
			}
			if len(a.body) > 16<<10 {
				t.Errorf("the answer is %d bytes, want at most 16 KiB", len(a.body))
			}
			if n := logs.Len(); n > 8<<10 {
				t.Errorf("the log line is %d bytes, want at most 8 KiB", n)
			}
			entries := ts.Requests(mockserver.Filter{})
			if len(entries) != 1 {
				t.Fatalf("%d journal entries, want 1", len(entries))
			}
			if n := entrySize(t, entries[0]); n > mockserver.MaxEntryBytes {
				t.Errorf("the journal entry is %d bytes, want at most %d", n, mockserver.MaxEntryBytes)
			}
		})
	}

	t.Run("a violation bomb lists 50 and counts the rest", func(t *testing.T) {
		a := create(t, ts, bomb)
		e := a.envelope(t)
		if e.Errors == nil || len(*e.Errors) != 50 {
			t.Fatalf("errors lists %v, want 50", e.Errors)
		}
		first := (*e.Errors)[0]
		if first.Field != "/custom_attributes/actions" || first.Message != "must have at most 100 items" {
			t.Errorf("first violation = %+v, want the array's maxItems of 100", first)
		}
		if second := (*e.Errors)[1]; second.Field != "/custom_attributes/actions/0/amount" {
			t.Errorf("second violation = %+v, want the first item's, in document order", second)
		}
		if !strings.Contains(e.Message, "more; errors lists the first 50") {
			t.Errorf("message %q does not say violations were left out", e.Message)
		}
		entry := ts.Requests(mockserver.Filter{})[0]
		if len(entry.Violations) != 50 || entry.ViolationsOmitted == 0 {
			t.Errorf("journal has %d violations, %d omitted; want 50 and a count", len(entry.Violations), entry.ViolationsOmitted)
		}
	})

	t.Run("a long body is kept cut, and says so", func(t *testing.T) {
		ts.ResetRequests()
		create(t, ts, `{"mode":3,"display_name":"`+long+`","custom_attributes":{"actions":[`+strings.Repeat(`{"mode":3,"amount":1},`, 99)+`{"mode":4,"amount":2}]}}`)
		e := ts.Requests(mockserver.Filter{})[0]
		if !e.Truncated || len(e.Body) > 4<<10 || len(e.Body) < 4<<10-8 || !strings.HasSuffix(e.Body, "…") || e.Request == nil {
			t.Fatalf("entry: truncated %v, body %d bytes, request %v", e.Truncated, len(e.Body), e.Request != nil)
		}
		if n := len(e.Request.DisplayName); n > 256 || !strings.HasPrefix(e.Request.DisplayName, "éé") || !strings.HasSuffix(e.Request.DisplayName, "…") {
			t.Errorf("display_name kept as %d bytes %.20q…, want at most 256 ending in …", n, e.Request.DisplayName)
		}
		if n := len(*e.Request.CustomAttributes.Actions); n != 16 {
			t.Errorf("%d actions kept, want 16", n)
		}
	})

	t.Run("a full journal reads small", func(t *testing.T) {
		small := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.JournalSize = 20 })
		body := `{"mode":1,"display_name":"` + long + `"}`
		for range 40 {
			create(t, small, body)
		}
		a := request(t, "GET", small.URL+"/__mock/requests", "")
		if a.status != 200 || len(a.body) > 20*mockserver.MaxEntryBytes {
			t.Errorf("GET /__mock/requests: status %d, %d bytes; want at most %d", a.status, len(a.body), 20*mockserver.MaxEntryBytes)
		}
	})
}

// The journal and fault matching see the body the contract validated:
// keys match case-sensitively, and integers outside int64 are refused.
func TestDecodingAgreesWithValidation(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	if err := ts.QueueFault(mockserver.Fault{Status: 500, Match: mockserver.Match{DisplayName: "evil"}}); err != nil {
		t.Fatal(err)
	}
	if err := ts.QueueFault(mockserver.Fault{Status: 500, Match: mockserver.Match{Mode: gen.Redeem}}); err != nil {
		t.Fatal(err)
	}
	a := create(t, ts, `{"mode":1,"display_name":"real","DISPLAY_NAME":"evil","Mode":4,"Display_Name":"evil"}`)
	a.token(t) // neither fault applies
	e := ts.Requests(mockserver.Filter{})[0]
	if e.Request == nil || e.Request.DisplayName != "real" || e.Request.Mode != gen.Connect {
		t.Errorf("journal's request = %+v, want display_name real, mode 1", e.Request)
	}
	if n := len(ts.Faults()); n != 2 {
		t.Errorf("%d faults left, want both (neither matches)", n)
	}

	for _, tc := range []struct{ body, field string }{
		{`{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":9223372036854775808}]}}`, "/custom_attributes/actions/0/amount"},
		{`{"mode":1,"display_name":"x","partnership_id":-9223372036854775809}`, "/partnership_id"},
		{`{"mode":1,"display_name":"x","partner_id":1e19}`, "/partner_id"},
		{`{"mode":1,"display_name":"x","merchant_id":9007199254740993.5}`, "/merchant_id"},
	} {
		a := create(t, ts, tc.body)
		if a.status != 400 {
			t.Errorf("%s: status %d, want 400", tc.body, a.status)
			continue
		}
		if errs := a.envelope(t).Errors; errs == nil || len(*errs) == 0 || (*errs)[0].Field != tc.field {
			t.Errorf("%s: errors %+v, want %s named", tc.body, errs, tc.field)
		}
	}
	// The edges of int64 are fine, however they are written.
	a = create(t, ts, `{"mode":3,"display_name":"x","partner_id":9223372036854775807,"merchant_id":-9223372036854775808,"custom_attributes":{"actions":[{"mode":3,"amount":1e3}]}}`)
	a.token(t)
	r := ts.Requests(mockserver.Filter{})[0].Request
	if r == nil || *r.PartnerId != 9223372036854775807 || *r.MerchantId != -9223372036854775808 || (*r.CustomAttributes.Actions)[0].Amount != 1000 {
		t.Errorf("journal's request = %+v", r)
	}
}

// Faults apply only to the requests they match; every field of Match
// is tried with a request that must match and one that must not.
func TestFaultMatching(t *testing.T) {
	tests := []struct {
		name  string
		match mockserver.Match
		body  string
		want  int
	}{
		{"user_external_id matches", mockserver.Match{UserExternalID: "1234"}, seedConnectKnownUser, 500},
		{"another user_external_id", mockserver.Match{UserExternalID: "1234"}, `{"mode":1,"display_name":"x","user_external_id":"12345"}`, 200},
		{"no user_external_id", mockserver.Match{UserExternalID: "1234"}, seedConnect, 200},
		{"partnership_id as a number", mockserver.Match{PartnershipID: "49"}, seedConnect, 500},
		{"partnership_id as a string", mockserver.Match{PartnershipID: "49"}, `{"mode":1,"display_name":"x","partnership_id":"49"}`, 500},
		{"another partnership_id", mockserver.Match{PartnershipID: "49"}, `{"mode":1,"display_name":"x","partnership_id":50}`, 200},
		{"no partnership_id", mockserver.Match{PartnershipID: "49"}, `{"mode":1,"display_name":"x"}`, 200},
		{"display_name matches", mockserver.Match{DisplayName: "Reward Cookies"}, seedConnect, 500},
		{"another display_name", mockserver.Match{DisplayName: "Reward Cookies"}, `{"mode":1,"display_name":"Reward cookies"}`, 200},
		{"mode matches", mockserver.Match{Mode: gen.Transfer}, seedTransfer, 500},
		{"another mode", mockserver.Match{Mode: gen.Transfer}, seedConnect, 200},
		{"every field matches", mockserver.Match{UserExternalID: "1234", DisplayName: "Reward Cookies", Mode: gen.Connect, PartnershipID: "49"}, seedConnectKnownUser, 500},
		{"all but one field matches", mockserver.Match{UserExternalID: "1234", DisplayName: "Reward Cookies", Mode: gen.Transfer, PartnershipID: "49"}, seedConnectKnownUser, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := mockserver.NewTestServer(t)
			if err := ts.QueueFault(mockserver.Fault{Status: 500, Match: tc.match}); err != nil {
				t.Fatal(err)
			}
			if a := create(t, ts, tc.body); a.status != tc.want {
				t.Errorf("status = %d, want %d", a.status, tc.want)
			}
			if left, want := len(ts.Faults()), map[int]int{500: 0, 200: 1}[tc.want]; left != want {
				t.Errorf("%d faults left, want %d", left, want)
			}
		})
	}
}

// A body sent without Content-Length is cut off at the limit too.
func TestChunkedBodyOverTheLimit(t *testing.T) {
	ts := mockserver.NewTestServer(t, func(o *mockserver.Options) { o.MaxBodyBytes = 1000 })
	for _, tc := range []struct {
		size int
		want int
	}{{900, 200}, {1000, 200}, {1001, 413}} {
		body := `{"mode":1,"display_name":"` + strings.Repeat("x", tc.size-len(`{"mode":1,"display_name":""}`)) + `"}`
		// An io.Reader that is not a *strings.Reader: net/http sends it chunked.
		req := apiRequest(ts.URL+createPath, io.MultiReader(strings.NewReader(body)), "t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want || req.ContentLength != 0 {
			t.Errorf("%d bytes chunked (Content-Length %d): status %d, want %d", tc.size, req.ContentLength, resp.StatusCode, tc.want)
		}
	}
}

// A declared Content-Length under the limit does not make the mock allocate
// that much before the bytes arrive.
func TestDeclaredLengthIsNotAllocated(t *testing.T) {
	s, err := mockserver.New(mockserver.Options{MaxBodyBytes: mockserver.MaxMaxBodyBytes})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", createPath, strings.NewReader(seedConnect))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = mockserver.MaxMaxBodyBytes // a lie: the body is 90 bytes
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("one request allocated %d bytes, want well under the declared %d", grew, req.ContentLength)
	}
	if rec.Code != 200 {
		t.Errorf("status %d", rec.Code)
	}
}

func TestFaultsAreBounded(t *testing.T) {
	ts := mockserver.NewTestServer(t)
	admin := ts.URL + "/__mock/faults"
	for _, tc := range []struct {
		fault string
		want  string // in the message
	}{
		{`{"delay":"1000h","times":1000000000}`, "times must be between 1 and 100000"},
		{`{"delay":"1000h"}`, "delay must be between 0 and 1m25s"},
		{`{"delay":"2m"}`, "write timeout"},
		{`{"status":500,"times":100001}`, "100000"},
	} {
		a := request(t, "POST", admin, tc.fault)
		if a.status != 400 || !strings.Contains(a.envelope(t).Message, tc.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.fault, a.status, a.body, tc.want)
		}
	}
	if got := ts.MaxFaultDelay(); got != 85*time.Second {
		t.Errorf("MaxFaultDelay = %s, want 85s (2m write timeout - 30s read timeout - 5s)", got)
	}
	if a := request(t, "POST", admin, `{"delay":"85s"}`); a.status != 201 {
		t.Errorf("a delay of MaxFaultDelay: %d %s", a.status, a.body)
	}
	ts.ClearFaults()

	// Queueing answers with the fault queued, not the queue.
	for i := range mockserver.MaxQueuedFaults {
		a := request(t, "POST", admin, `{"status":500,"match":{"user_external_id":"u"}}`)
		if a.status != 201 {
			t.Fatalf("fault %d: %d %s", i+1, a.status, a.body)
		}
		if i == mockserver.MaxQueuedFaults-1 && len(a.body) > 200 {
			t.Errorf("queueing fault %d answered %d bytes: %s", i+1, len(a.body), a.body)
		}
	}
	a := request(t, "POST", admin, `{"status":500}`)
	if a.status != 400 || !strings.Contains(a.envelope(t).Message, fmt.Sprint(mockserver.MaxQueuedFaults)) {
		t.Errorf("fault %d: %d %s, want 400 naming the limit", mockserver.MaxQueuedFaults+1, a.status, a.body)
	}
	if err := ts.QueueFault(mockserver.Fault{Status: 500}); err == nil {
		t.Error("QueueFault over the limit: no error")
	}

	big := `{"status":500,"match":{"display_name":"` + strings.Repeat("x", mockserver.MaxAdminBodyBytes) + `"}}`
	if a := request(t, "POST", admin, big); a.status != 413 || a.envelope(t).Code != "payload_too_large" {
		t.Errorf("an admin body over the limit: %d %s", a.status, a.body)
	}
}

func TestOptionsOutOfRangeAreRefused(t *testing.T) {
	for _, o := range []mockserver.Options{
		{JournalSize: 1_000_000_000},
		{JournalSize: -1},
		{MaxBodyBytes: 2e11},
		{MaxBodyBytes: -5},
		{Latency: time.Hour},
		{Latency: 20 * time.Second, LatencyJitter: 20 * time.Second},
		{LatencyJitter: -time.Second},
		{ShutdownTimeout: 24 * time.Hour},
	} {
		if _, err := mockserver.New(o); err == nil || !strings.Contains(err.Error(), "invalid options") {
			t.Errorf("New(%+v) = %v, want ErrInvalidOptions", o, err)
		}
	}
	if _, err := mockserver.New(mockserver.Options{JournalSize: mockserver.MaxJournalSize, MaxBodyBytes: mockserver.MaxMaxBodyBytes, Latency: mockserver.MaxLatency}); err != nil {
		t.Errorf("New at the bounds: %v", err)
	}
}

func TestAdminTokenMustBeSendable(t *testing.T) {
	for _, token := range []string{" ", "secret ", " secret", "sec\nret"} {
		if _, err := mockserver.New(mockserver.Options{AdminToken: token}); err == nil {
			t.Errorf("AdminToken %q accepted; no Authorization header can carry it", token)
		}
	}
}
