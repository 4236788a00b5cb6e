package mockserver_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/internal/loopback"
	"github.com/benjiconnect/benji/mockserver"
)

// longSecret is a 98-character bearer token no 8 characters of which occur
// by chance in what the mock writes.
var longSecret = func() string {
	a, b := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	return "sk_live_" + hex.EncodeToString(a[:]) + hex.EncodeToString(b[:])[:26]
}()

// pieceOf returns the first piece of secret, 8 bytes or longer, found in
// text; "" when there is none.
func pieceOf(secret, text string) string {
	for i := 0; i+8 <= len(secret); i++ {
		if p := secret[i : i+8]; strings.Contains(text, p) {
			return p
		}
	}
	return ""
}

// jsonAnswer is a whole HTTP/1.1 response with a JSON body.
func jsonAnswer(status string, body string, header ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", status, len(body))
	for i := 0; i+1 < len(header); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", header[i], header[i+1])
	}
	return b.String() + "\r\n" + body
}

// Text from the upstream or the request is redacted before it is cut,
// wherever it is kept: no piece of a long token survives in the caller's
// 502, the log, the journal, the inspector, the drift report or the record.
func TestProxyRedactsBeforeItCuts(t *testing.T) {
	ok := `{"code":"ok","data":{"token":"` + upstreamToken + `"}}`
	tests := []struct {
		name   string
		reply  func(r *http.Request, body []byte) string
		body   string // the request's (seedConnect when empty), or a query to send seedConnect with
		status int    // the caller's
	}{
		{"a 101 whose reason phrase echoes the token", func(r *http.Request, _ []byte) string {
			return "HTTP/1.1 101 " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + "\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"
		}, "", 502},
		{"a malformed answer that echoes the token", func(r *http.Request, _ []byte) string {
			return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + "\r\n\r\n"
		}, "", 502},
		{"the upstream's X-Request-Id echoing the token", func(r *http.Request, _ []byte) string {
			return jsonAnswer("200 OK", ok, "X-Request-Id", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}, "", 200},
		{"a request body carrying the token into the record", func(*http.Request, []byte) string {
			return jsonAnswer("200 OK", ok)
		}, `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"user_external_id":"` + longSecret + `"}`, 200},
		{"a long body carrying the token where the journal cuts it", func(*http.Request, []byte) string {
			return jsonAnswer("200 OK", ok)
		}, longBodyWithSecret(), 200},
		{"a query carrying the token", func(*http.Request, []byte) string {
			return jsonAnswer("200 OK", ok)
		}, "?key=" + longSecret, 200},
		{"a request that breaks the contract, quoting the token", func(*http.Request, []byte) string {
			return jsonAnswer("200 OK", ok)
		}, `{"mode":"` + longSecret + `","display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48}`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, log, record := startProxy(t, loopback.Scripted(t, tt.reply))
			body, query := tt.body, ""
			if strings.HasPrefix(body, "?") {
				body, query = "", body
			}
			if body == "" {
				body = seedConnect
			}
			got := request(t, http.MethodPost, ts.URL+createPath+query, body, "Authorization", "Bearer "+longSecret, "Content-Type", "application/json")
			if got.status != tt.status {
				t.Fatalf("caller got %d %.200s, want %d", got.status, got.body, tt.status)
			}
			recorded(t, record, 1)
			places := map[string]string{
				"log":          log.String(),
				"record":       record.String(),
				"journal":      string(request(t, http.MethodGet, ts.URL+"/__mock/requests", "").body),
				"drift report": string(request(t, http.MethodGet, ts.URL+"/__mock/drift", "").body),
				"inspector":    string(request(t, http.MethodGet, ts.URL+"/__mock/", "").body),
			}
			if tt.status == 502 {
				places["502"] = string(got.body)
			}
			for place, text := range places {
				if p := pieceOf(longSecret, text); p != "" {
					i := strings.Index(text, p)
					t.Errorf("the %s holds %q of the token: …%.120s…", place, p, text[max(0, i-60):])
				}
			}
			if !strings.Contains(record.String(), "[redacted]") {
				t.Errorf("the record shows no redaction: %.300s", record)
			}
		})
	}
}

// The upstream never sees the mock's own Prefer header, even one the mock
// does not act on.
func TestProxyKeepsPreferFromTheUpstream(t *testing.T) {
	up := startUpstream(t, false, answers(200, `{"code":"ok","data":{"token":"`+upstreamToken+`"}}`))
	ts, _, _ := startProxy(t, up.URL)
	if got := create(t, ts, seedConnect, "Prefer", "respond-async"); got.status != 200 {
		t.Fatalf("caller got %d %.200s, want the upstream's 200", got.status, got.body)
	}
	reqs, _ := up.seen()
	if len(reqs) != 1 || reqs[0].Header["Prefer"] != nil {
		t.Errorf("the upstream got %d requests, Prefer %q; want one, without Prefer", len(reqs), reqs[0].Header["Prefer"])
	}
}

// Credentials of 8 bytes and more are redacted; shorter ones are left alone,
// as they would match ordinary text.
func TestProxyRedactsCredentialsFromEightBytes(t *testing.T) {
	for _, tt := range []struct {
		token    string
		redacted bool
	}{
		{"Zq7xK2m", false},
		{"Zq7xK2mW", true},
	} {
		t.Run(fmt.Sprintf("%d bytes", len(tt.token)), func(t *testing.T) {
			up := startUpstream(t, false, answers(401, `{"code":"unauthorized","message":"unknown `+tt.token+`"}`))
			ts, _, record := startProxy(t, up.URL)
			request(t, http.MethodPost, ts.URL+createPath, seedConnect, "Authorization", "Bearer "+tt.token, "Content-Type", "application/json")
			recorded(t, record, 1)
			journal := string(request(t, http.MethodGet, ts.URL+"/__mock/requests", "").body)
			for place, text := range map[string]string{"journal": journal, "record": record.String()} {
				if kept := strings.Contains(text, "unknown "+tt.token); kept == tt.redacted {
					t.Errorf("the %s keeps %q: %v, want %v: %.300s", place, tt.token, kept, !tt.redacted, text)
				}
			}
		})
	}
}

// A journal entry lists the first 10 departures of an answer and counts the
// rest, however few they are.
func TestProxyCountsDeparturesPastThoseListed(t *testing.T) {
	var errs []string
	for i := range 15 {
		errs = append(errs, fmt.Sprintf(`{"field":%d,"message":%d}`, i, i))
	}
	up := startUpstream(t, false, answers(400, `{"code":"invalid_request","message":"m","errors":[`+strings.Join(errs, ",")+`]}`))
	ts, _, _ := startProxy(t, up.URL)
	create(t, ts, seedConnect)
	e := onlyEntry(t, ts)
	all := len(e.Upstream.Drift) + e.Upstream.DriftOmitted
	if len(e.Upstream.Drift) != 10 || all <= 10 || all >= 50 {
		t.Fatalf("entry lists %d departures and omits %d; want 10 listed of between 11 and 49", len(e.Upstream.Drift), e.Upstream.DriftOmitted)
	}
	if r := ts.Drift(); r.Omitted != 0 || sumCounts(r) != all {
		t.Errorf("drift report counts %d departures and omits %d; want the %d of the entry, none omitted", sumCounts(r), r.Omitted, all)
	}
}

func sumCounts(r mockserver.DriftReport) int {
	n := 0
	for _, d := range r.Drift {
		n += d.Count
	}
	return n
}

// longBodyWithSecret is a valid request of about 5 KiB that carries
// longSecret in ten unknown fields from 3.4 KiB on: one of them spans the
// journal's cut at 4 KiB, wherever it falls once encoded.
func longBodyWithSecret() string {
	var b strings.Builder
	b.WriteString(`{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"pad":"`)
	b.WriteString(strings.Repeat("p", 3400-b.Len()))
	b.WriteString(`"`)
	for i := range 10 {
		fmt.Fprintf(&b, `,"t%d":"%s"`, i, longSecret)
	}
	b.WriteString(`,"end":"` + strings.Repeat("e", 600) + `"}`)
	return b.String()
}
