package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestRedactCredential(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"Bearer sk_live_0123456789", "Bearer [redacted]"},
		{"bearer sk_live_0123456789", "bearer [redacted]"},
		{"  Bearer\tsk_live_0123456789  ", "Bearer [redacted]"},
		{"Basic dXNlcjpwYXNz", "Basic [redacted]"},
		{"Digest username=\"a\", response=\"b\"", "Digest [redacted]"},
		{"AWS4-HMAC-SHA256 Credential=AKIA/20261202/eu-west-1/s3/aws4_request", "AWS4-HMAC-SHA256 [redacted]"},
		{"Bearer", "Bearer"},
		{"", ""},
		{"sk_live_0123456789", "[redacted]"},
		{"secretpart1 secretpart2", "[redacted]"},
		{"session=8a7b6c5d4e3f; theme=dark", "[redacted]"},
	} {
		if got := redactCredential(tt.value); got != tt.want {
			t.Errorf("redactCredential(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

// credentialHeader is the one rule for the headers the journal redacts,
// the record leaves out and a replayed record drops.
func TestCredentialHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "X-Api-Key": true, "Api-Key": true,
		"X-Auth-Token": true, "X-Amz-Security-Token": true, "X-Session-Id": true, "X-Client-Secret": true,
		"X-Db-Password": true, "X-Passwd": true, "X-Upstream-Credentials": true, "X-Jwt-Assertion": true,
		"x-api-key": true, "X-API-KEY": true, "X-" + strings.Repeat("n", 100) + "-Token": true,
		"User-Agent": false, "X-Request-Id": false, "Traceparent": false, "Content-Type": false,
		"Idempotency-Key": false, "idempotency-key": false, "Prefer": false, "Keep-Alive": false, "X-Bypass-Cache": false,
		// A record's answers: what the replay must keep.
		"Set-Cookie": true, "X-Apikey": true, "X-Access-Token": true, "X-Auth": true,
		"Www-Authenticate": false, "Authentication-Info": false, "Retry-After": false, "Accept": false,
		"Access-Control-Allow-Credentials": false, "access-control-allow-headers": false,
	} {
		if got := credentialHeader(name); got != want {
			t.Errorf("credentialHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestUnescapeASCII(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a":"sk\u005flive"}`, `{"a":"sk_live"}`},
		{`{"a":"\u0041\u0062"}`, `{"a":"Ab"}`},
		{`{"a":"\\u005f"}`, `{"a":"\\u005f"}`},           // an escaped backslash, then text
		{`{"a":"\u0022\u005c"}`, `{"a":"\u0022\u005c"}`}, // a quote and a backslash stay escaped
		{`{"a":"\u00e9\u001f"}`, `{"a":"\u00e9\u001f"}`}, // beyond printable ASCII
		{`{"a":"\u00zz\n\/"}`, `{"a":"\u00zz\n\/"}`},
		{`"\u005`, `"\u005`},
		{`\`, `\`},
	} {
		if got := string(unescapeASCII([]byte(tt.in))); got != tt.want {
			t.Errorf("unescapeASCII(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzKeptHeader holds keptHeader to its promises whatever a request sends:
// the token is in no kept name or value, a credential header keeps no more
// than its scheme, and the whole stays within the bounds.
func FuzzKeptHeader(f *testing.F) {
	f.Add("X-Echo", "seen sk_live_0123456789 here", "sk_live_0123456789", 1)
	f.Add("Authorization", "Bearer sk_live_0123456789", "sk_live_0123456789", 1)
	f.Add("X-Sk_live_0123456789", "1", "sk_live_0123456789", 1)
	f.Add("X-Long", strings.Repeat("v", 500)+"a/b+c=d e", "a/b+c=d e", 3)
	f.Add("X-Api-Key", "Token  abc", "abcdefgh", 40)
	f.Add("X-Echo", strings.Repeat("abcdefgh ", 100), "abcdefgh", 1)
	f.Fuzz(func(t *testing.T, name, value, token string, copies int) {
		tok := strings.TrimSpace(token)
		if len(tok) < minSecretBytes || strings.ContainsAny(tok, "[]…\r\n") || strings.Contains(tok, "redacted") || name == "" {
			return // shorter ones are left alone; "[redacted]" would hold these
		}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header = http.Header{"Authorization": {"Bearer " + token}}
		for range min(max(copies, 1), 50) {
			r.Header[name] = append(r.Header[name], value)
		}
		scan := newSecretScan(r, nil)
		pairs, omitted := keptHeader(r.Header, &scan)
		h := headerOf(pairs)
		kept := 0
		for n, vs := range h {
			kept += len(vs)
			if strings.Contains(strings.ToLower(n), strings.ToLower(tok)) {
				t.Fatalf("name %q holds the token %q", n, tok)
			}
			if n := jsonLen(n) - len(`""`); n > maxEntryHeaderNameBytes {
				t.Fatalf("a name of %d bytes encoded, over %d", n, maxEntryHeaderNameBytes)
			}
			for _, v := range vs {
				if n := jsonLen(v) - len(`""`); n > MaxEntryHeaderValueBytes {
					t.Fatalf("a value of %d bytes encoded, over %d: %.80q…", n, MaxEntryHeaderValueBytes, v)
				}
				if strings.Contains(v, tok) {
					t.Fatalf("%s: %q holds the token %q", n, v, tok)
				}
				if credentialHeader(n) && v != "" && v != redacted && !strings.HasSuffix(v, " "+redacted) && redactCredential(v) != v {
					t.Fatalf("%s: %q is more than a scheme and [redacted]", n, v)
				}
			}
		}
		all := 0
		for _, vs := range r.Header {
			all += len(vs)
		}
		if kept > MaxEntryHeaders || kept+omitted != all {
			t.Fatalf("kept %d, omitted %d of %d values; at most %d kept", kept, omitted, all, MaxEntryHeaders)
		}
		if b, _ := json.Marshal(h); len(b) > MaxEntryHeaderBytes {
			t.Fatalf("the headers encode as %d bytes, over %d", len(b), MaxEntryHeaderBytes)
		}
	})
}

// BenchmarkJournaledHeader is what journaling a request's headers adds to
// the hot path: the look for the token and the bounded, redacted copy.
func BenchmarkJournaledHeader(b *testing.B) {
	for _, bb := range []struct {
		name   string
		header http.Header
	}{
		{"bench request", http.Header{"Authorization": {"Bearer bench"}, "Content-Type": {"application/json"}}},
		{"partner request", http.Header{
			"Authorization":   {"Bearer sk_live_0123456789abcdef0123456789"},
			"Content-Type":    {"application/json"},
			"Content-Length":  {"180"},
			"Accept-Encoding": {"gzip"},
			"User-Agent":      {"partner-service/1.4 (+https://partner.example)"},
			"X-Request-Id":    {"req-7f3a-1"},
			"Traceparent":     {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			"Idempotency-Key": {"order-1234"},
		}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header = bb.header
			x := &exchange{body: []byte(`{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48}`), requestID: "req-7f3a-1", path: "/verify/token/create"}
			b.ReportAllocs()
			for b.Loop() {
				scan := newSecretScan(r, nil)
				x.withoutCredentials(&scan)
				keptHeader(r.Header, &scan)
			}
		})
	}
}

func TestHolds(t *testing.T) {
	for _, tt := range []struct {
		b, s string
		want bool
	}{
		{"abc", "abc", true}, {"xxabc", "abc", true}, {"abcxx", "abc", true}, {"ababc", "abc", true},
		{"ab", "abc", false}, {"abxbc", "abc", false}, {"", "a", false}, {"aaab", "aab", true},
	} {
		if got := holds([]byte(tt.b), tt.s); got != tt.want {
			t.Errorf("holds(%q, %q) = %v, want %v", tt.b, tt.s, got, tt.want)
		}
	}
}

func TestJSONLen(t *testing.T) {
	for _, s := range []string{"", "abc", `a"b\c`, "<&>", "é\x01\n\t", "\xff\xfe", "\u2028x", "plain then é and <"} {
		b, _ := json.Marshal(s)
		if got := jsonLen(s); got != len(b) {
			t.Errorf("jsonLen(%q) = %d, want %d (%s)", s, got, len(b), b)
		}
	}
}

// Past MaxEntryHeaders names, the first by name are kept, whatever order
// the map gives them in.
func TestKeptHeaderKeepsTheFirstNames(t *testing.T) {
	h := http.Header{}
	for i := range 3 * MaxEntryHeaders {
		h[fmt.Sprintf("X-%03d", (i*37)%(3*MaxEntryHeaders))] = []string{"v"}
	}
	scan := newSecretScan(httptest.NewRequest(http.MethodGet, "/", nil), nil)
	pairs, omitted := keptHeader(h, &scan)
	var names []string
	for i := 0; i < len(pairs); i += 2 {
		names = append(names, pairs[i])
	}
	if len(names) != MaxEntryHeaders || omitted != 2*MaxEntryHeaders || names[0] != "X-000" || names[len(names)-1] != fmt.Sprintf("X-%03d", MaxEntryHeaders-1) || !slices.IsSorted(names) {
		t.Errorf("kept %q, omitted %d; want X-000 to X-%03d in order, %d omitted", names, omitted, MaxEntryHeaders-1, 2*MaxEntryHeaders)
	}
}

func TestRedactCredentialAgreesWithItsShortCut(t *testing.T) {
	for _, v := range []string{"Bearer x", "Bearer x ", "Bearer  x", "Bearer \t", "Bearer ", "Bearer x\t"} {
		got := redactCredential(v)
		want := "Bearer [redacted]"
		if strings.TrimSpace(strings.TrimPrefix(v, "Bearer")) == "" {
			want = "Bearer"
		}
		if got != want {
			t.Errorf("redactCredential(%q) = %q, want %q", v, got, want)
		}
	}
}

// FuzzSecretScanBody: what the journal keeps of a body holds the token in
// no form, \u escapes read as the characters they stand for, and a body
// without it is kept as it is.
func FuzzSecretScanBody(f *testing.F) {
	f.Add(`{"a":"sk_live_0123456789"}`, "sk_live_0123456789")
	f.Add(`{"a":"sk\u005flive\u005f0123456789"}`, "sk_live_0123456789")
	f.Add(`{"a":"a\/b+c=d"}`, "a/b+c=d 0")
	f.Add(`{"a":"\\u005f"}`, "zzzzzzzzzz")
	f.Fuzz(func(t *testing.T, body, token string) {
		tok := strings.TrimSpace(token)
		if len(tok) < minSecretBytes || strings.ContainsAny(tok, "[]…\\") || strings.Contains(tok, "redacted") {
			return
		}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header = http.Header{"Authorization": {"Bearer " + token}}
		scan := newSecretScan(r, nil)
		kept := scan.body([]byte(body))
		if strings.Contains(string(unescapeASCII(kept)), tok) {
			t.Fatalf("kept %q holds the token %q", kept, tok)
		}
		if !strings.Contains(string(unescapeASCII([]byte(body))), tok) && !credentialsOf(r).holdsAny(body) && string(kept) != body {
			t.Fatalf("a body without the token was changed: %q to %q", body, kept)
		}
	})
}

// holdsAny reports whether s holds one of c.
func (c credentials) holdsAny(s string) bool {
	return slices.ContainsFunc(c, func(secret string) bool { return strings.Contains(s, secret) })
}

// The hot path: a usual request (a bearer token of letters, digits and
// "-._~", found nowhere else) is journaled with one quick look for the
// token, without collecting its credentials, in one allocation.
func TestSecretScanLooksQuicklyForAUsualToken(t *testing.T) {
	for _, tt := range []struct {
		auth, token string
	}{
		{"Bearer sk_live_0123456789", "sk_live_0123456789"},
		{"bearer  tok-en.1~2", "tok-en.1~2"},
		{"sk_live_0123456789", "sk_live_0123456789"},
		{"Bearer a/b+c=", ""},
		{"Bearer a b", ""},
		{"Bearer", "Bearer"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header = http.Header{"Authorization": {tt.auth}, "Content-Type": {"application/json"}, "User-Agent": {"partner-service/1.4"}}
		if got := newSecretScan(r, nil).token; got != tt.token {
			t.Errorf("Authorization %q: the quick look is for %q, want %q", tt.auth, got, tt.token)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header = http.Header{"Authorization": {"Bearer sk_live_0123456789"}, "Content-Type": {"application/json"}, "User-Agent": {"partner-service/1.4"}}
	x := &exchange{body: []byte(`{"mode":1,"display_name":"Reward Cookies"}`), requestID: "req-1", path: "/verify/token/create"}
	allocs := testing.AllocsPerRun(100, func() {
		scan := newSecretScan(r, nil)
		x.withoutCredentials(&scan)
		keptHeader(r.Header, &scan)
		if scan.ready {
			t.Fatal("the credentials were collected for a request that holds them nowhere else")
		}
	})
	if allocs > 1 {
		t.Errorf("journaling the headers takes %v allocations, want 1", allocs)
	}
}
