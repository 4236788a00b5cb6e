package mockserver

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// What a journal entry keeps of a request's headers (Entry.Header), and how
// the request's credentials are kept out of the entry. The header is copied
// when the entry is made, bounded and with its credentials already
// replaced: the journal outlives the request, and holds no credential in
// memory either.

// Bounds on the request headers a journal entry keeps (Entry.Header), in
// the bytes the admin API encodes them in.
const (
	// MaxEntryHeaders bounds the header values an entry keeps, a name with
	// several values counting once for each: the first by name (in byte
	// order) are kept, the rest counted in Entry.HeadersOmitted.
	MaxEntryHeaders = 32
	// MaxEntryHeaderBytes bounds the request headers an entry keeps, names,
	// values, quotes and punctuation: a value that does not fit in what is
	// left is left out, and counted in Entry.HeadersOmitted.
	MaxEntryHeaderBytes = 4 << 10
	// MaxEntryHeaderValueBytes bounds one header value an entry keeps,
	// quotes aside: a longer one is cut, and ends in "…". Credentials are redacted before
	// the cut, so no piece of one is left at the end.
	MaxEntryHeaderValueBytes = 512
)

// maxEntryHeaderNameBytes bounds a header name an entry keeps, quotes
// aside; a longer one is cut, and ends in "…".
const maxEntryHeaderNameBytes = 128

// credentialNameParts are the pieces of a header name, in any case, that
// mark a header as carrying a credential: Authorization,
// Proxy-Authorization, Cookie, X-Api-Key, Api-Key, X-Auth-Token,
// X-Amz-Security-Token, X-Session-Id, X-Client-Secret, ...
var credentialNameParts = []string{"auth", "cookie", "credential", "jwt", "key", "passphrase", "passw", "secret", "session", "token"}

// credentialHeader reports whether the header name carries a credential: its
// name, in any case, holds one of credentialNameParts, and it is not
// Idempotency-Key (a request's own id, which a test asserts) nor an
// answer's WWW-Authenticate or Authentication-Info. The journal keeps such a
// header redacted (redactCredential); the record leaves it out, and a
// replayed record drops it.
func credentialHeader(name string) bool {
	if credential, known := usualHeader(name); known {
		return credential
	}
	if strings.EqualFold(name, "Idempotency-Key") || len(name) > 15 && strings.EqualFold(name[:15], "Access-Control-") {
		return false // a request's own id; CORS's names (Access-Control-Allow-Credentials)
	}
	var buf [64]byte
	lower := buf[:0]
	for i := 0; i < len(name); i++ {
		lower = append(lower, lowerASCII(name[i]))
	}
	for _, part := range credentialNameParts {
		if bytes.Contains(lower, []byte(part)) {
			return true
		}
	}
	return false
}

// usualHeader reports whether name is one of the usual names of a header,
// canonical as net/http gives them, and whether it carries a credential.
func usualHeader(name string) (credential, known bool) {
	switch name {
	case "Authorization", "Proxy-Authorization", "Cookie":
		return true, true
	case "Accept", "Accept-Encoding", "Content-Length", "Content-Type", "Idempotency-Key", "Prefer",
		"Traceparent", "Tracestate", "User-Agent", RequestIDHeader,
		// An answer's challenge and its authentication parameters say how
		// to authenticate, and hold no secret; the contract asks for the
		// first on a 401.
		"Www-Authenticate", "Authentication-Info":
		return false, true
	}
	return false, false
}

// authSchemes are the authentication schemes a redacted value keeps: those
// of IANA's registry, and the common "Token" and "ApiKey". The first word
// of any other value may be part of the credential, and goes with it.
var authSchemes = []string{
	"AWS4-HMAC-SHA256", "ApiKey", "Basic", "Bearer", "Concealed", "DPoP", "Digest", "GNAP", "HOBA", "Mutual",
	"NTLM", "Negotiate", "OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "Token", "vapid",
}

// redactedBearer is the usual redacted Authorization value, made once.
const redactedBearer = "Bearer " + redacted

// redactCredential is what the journal keeps of a credential header's
// value: "[redacted]", after the scheme when the value starts with one of
// authSchemes ("Bearer [redacted]"); a scheme alone, or nothing, as sent.
func redactCredential(value string) string {
	if rest, ok := strings.CutPrefix(value, "Bearer "); ok && strings.TrimSpace(rest) != "" {
		return redactedBearer // as nearly every request sends it
	}
	v := strings.TrimSpace(value)
	scheme, rest := v, ""
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		scheme, rest = v[:i], v[i:]
	}
	known := slices.ContainsFunc(authSchemes, func(s string) bool { return strings.EqualFold(s, scheme) })
	switch {
	case v == "" || known && rest == "":
		return v // nothing secret
	case !known:
		return redacted
	case scheme == "Bearer":
		return redactedBearer
	}
	return scheme + " " + redacted
}

// secretScan finds the request's credentials (credentialsOf) in what its
// journal entry keeps. Most of what it looks at holds none: it looks first
// for the token, which every form of every credential holds, and collects
// the credentials only once that look finds it.
type secretScan struct {
	r *http.Request
	// none says the request has no Authorization header.
	none bool
	// token is in every form of every credential of r; "" when no such
	// quick look is possible (several Authorization headers, a token with
	// characters that escaping changes): every look is then a full one.
	token string
	creds credentials // once collected
	ready bool
}

// newSecretScan prepares to look for r's credentials; known, when not nil,
// are those already collected (proxy mode).
func newSecretScan(r *http.Request, known credentials) secretScan {
	values := r.Header["Authorization"]
	s := secretScan{r: r, none: len(values) == 0, creds: known, ready: known != nil}
	if len(values) == 1 {
		core := strings.TrimSpace(values[0])
		if i := strings.IndexAny(core, " \t"); i >= 0 {
			core = strings.TrimSpace(core[i:]) // the credentials after the scheme
		}
		if core != "" && !strings.ContainsFunc(core, escapable) {
			s.token = core
		}
	}
	return s
}

// escapable reports whether one of the forms of a credential
// (credentialsOf) may write r other than as itself: only letters, digits
// and "-._~" are written the same in every form.
func escapable(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == '_' || r == '~')
}

func (s *secretScan) credentials() credentials {
	if !s.ready {
		s.creds, s.ready = credentialsOf(s.r), true
	}
	return s.creds
}

// text returns v less the credentials, and any piece of one cut short
// before a "…" (credentials.text).
func (s *secretScan) text(v string) string {
	if s.none || s.token != "" && !strings.Contains(v, s.token) && !strings.Contains(v, cutMark) {
		return v
	}
	return s.credentials().text(v)
}

// name returns a header name, or "[redacted]" when it holds a credential in
// any case (credentials.inName). The usual names are not looked at: the
// credential would be a piece of one.
func (s *secretScan) name(n string) string {
	// A credential is minSecretBytes long at least, and holds the token.
	if _, usual := usualHeader(n); usual || s.none || s.token != "" && (len(n) < max(len(s.token), minSecretBytes) || !containsFold(n, s.token)) {
		return n
	}
	if s.credentials().inName(n) {
		return redacted
	}
	return n
}

// body returns b less the credentials, b itself when it holds none. A body
// that writes characters as JSON \u escapes is looked at with them written
// plainly, and kept so when that shows a credential.
func (s *secretScan) body(b []byte) []byte {
	switch {
	case s.none:
		return b
	case bytes.Contains(b, []byte(`\u`)):
		plain := unescapeASCII(b)
		if kept := s.credentials().body(plain); !bytes.Equal(kept, plain) {
			return kept
		}
		return b
	case s.token != "" && !holds(b, s.token):
		return b
	}
	return s.credentials().body(b)
}

// holds reports whether b holds s, not empty, without copying either (a
// conversion of the token to bytes would).
func holds(b []byte, s string) bool {
	for i := 0; len(b)-i >= len(s); {
		j := bytes.IndexByte(b[i:len(b)-len(s)+1], s[0])
		if j < 0 {
			return false
		}
		if string(b[i+j:i+j+len(s)]) == s {
			return true
		}
		i += j + 1
	}
	return false
}

// containsFold reports whether s holds sub, not empty, in any ASCII case.
func containsFold(s, sub string) bool {
	first := lowerASCII(sub[0])
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) == first && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// unescapeASCII returns the JSON text b with each \u escape of a printable
// ASCII character other than a quote and a backslash written as the
// character itself: the same JSON values, in which a credential written
// with escapes shows.
func unescapeASCII(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			if c, ok := hexASCII(b[i+2 : i+6]); ok {
				out = append(out, c)
				i += 5
				continue
			}
		}
		out = append(out, b[i], b[i+1]) // another escape, kept as it is
		i++
	}
	return out
}

// hexASCII reads 4 hex digits as a printable ASCII character other than a
// quote and a backslash.
func hexASCII(h []byte) (byte, bool) {
	n, err := strconv.ParseUint(string(h), 16, 16)
	if err != nil || n < 0x20 || n > 0x7e || n == '"' || n == '\\' {
		return 0, false
	}
	return byte(n), true
}

// journaled makes the journal entry of x, the request r, without r's
// credentials: they are taken out of x first (its body, violations, path,
// Prefer value and request id: what the log and the record show of it
// too), then the entry is made with the request's headers (keptHeader).
func (s *Server) journaled(r *http.Request, x *exchange) Entry {
	var known credentials
	if x.upstream != nil {
		known = x.upstream.creds
	}
	scan := newSecretScan(r, known)
	x.withoutCredentials(&scan)
	e := x.entry(s.cat.contract)
	e.headers, e.HeadersOmitted = keptHeader(r.Header, &scan)
	return e
}

// withoutCredentials takes the request's credentials out of what x keeps.
func (x *exchange) withoutCredentials(scan *secretScan) {
	if scan.none {
		return
	}
	x.keepBody(scan.body(x.body))
	x.requestID = scan.text(x.requestID)
	x.path = scan.text(x.path)
	x.injected = scan.text(x.injected)
	for i, v := range x.violations {
		x.violations[i].Field, x.violations[i].Message = scan.text(v.Field), scan.text(v.Message)
	}
}

// keepBody makes kept, x's body less its credentials, the body x keeps.
// A body over maxJournalBody was decoded once, within the bound on big
// checks (checkRequest); a redacted copy of it is kept as text only,
// rather than decoded again outside that bound.
func (x *exchange) keepBody(kept []byte) {
	if !bytes.Equal(kept, x.body) {
		x.body, x.request, x.valid = kept, nil, x.valid && len(kept) <= maxJournalBody
	}
}

// keptHeader is what a journal entry keeps of the header h: name-value
// pairs in name order, the names and values less the credentials
// (credentialHeader values redacted whole, the others less scan's
// credentials), then cut, within MaxEntryHeaders and MaxEntryHeaderBytes;
// and the count of values left out.
func keptHeader(h http.Header, scan *secretScan) (pairs []string, omitted int) {
	// The first MaxEntryHeaders names, in order, whatever their number.
	type field struct {
		name   string
		values []string
	}
	var first [MaxEntryHeaders]field
	fields := first[:0]
	values := 0
	for name, vs := range h {
		values += len(vs)
		switch {
		case len(vs) == 0:
			continue
		case len(fields) < MaxEntryHeaders:
			fields = fields[:len(fields)+1]
		case name > fields[len(fields)-1].name:
			continue
		}
		// Into its place, the last one dropped when there is no room.
		i := len(fields) - 1
		for ; i > 0 && name < fields[i-1].name; i-- {
			fields[i] = fields[i-1]
		}
		fields[i] = field{name, vs}
	}
	pairs = make([]string, 0, 2*min(values, MaxEntryHeaders))
	room := MaxEntryHeaderBytes - len("{}")
	for _, f := range fields {
		credential := credentialHeader(f.name)
		kept := cutString(scan.name(f.name), maxEntryHeaderNameBytes)
		nameCost := jsonLen(kept) + len(`:[],`)
		for _, v := range f.values {
			if len(pairs) == 2*MaxEntryHeaders {
				break
			}
			if credential {
				v = redactCredential(v)
			} else {
				v = scan.text(v)
			}
			v = cutString(v, MaxEntryHeaderValueBytes)
			// "name":["value"], counted whole for each value: a bound,
			// not the exact size.
			cost := nameCost + jsonLen(v)
			if cost > room {
				continue
			}
			room -= cost
			pairs = append(pairs, kept, v)
		}
	}
	return pairs, values - len(pairs)/2
}

// headerOf makes the http.Header of keptHeader's pairs.
func headerOf(pairs []string) http.Header {
	if len(pairs) == 0 {
		return nil
	}
	h := make(http.Header, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		h[pairs[i]] = append(h[pairs[i]], pairs[i+1])
	}
	return h
}

// jsonLen is the length of s as encoding/json writes it, quotes included.
func jsonLen(s string) int {
	n := len(`""`) + len(s)
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			// Rare in a header: count the rest character by character.
			for rest := s[i:]; rest != ""; {
				r, size := utf8.DecodeRuneInString(rest)
				n += jsonCost(r, size) - size
				rest = rest[size:]
			}
			return n
		}
	}
	return n
}

// plainJSON marks the bytes encoding/json writes as themselves.
var plainJSON = func() (plain [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return plain
}()

// matchesHeader reports whether e's request sent the header f.Header
// names: "Name: value" (the name in any case, the value as the entry keeps
// it, spaces around it aside), or "Name" with any value.
func (f Filter) matchesHeader(e *Entry) bool {
	if f.Header == "" {
		return true
	}
	name, value, valued := strings.Cut(f.Header, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	match := func(n, v string) bool { return strings.EqualFold(n, name) && (!valued || v == value) }
	for i := 0; i+1 < len(e.headers); i += 2 {
		if match(e.headers[i], e.headers[i+1]) {
			return true
		}
	}
	for n, vs := range e.Header {
		for _, v := range vs {
			if match(n, v) {
				return true
			}
		}
	}
	return false
}

// headerFilterProblem says what is wrong with a header filter (Filter.Header,
// ?header=): "" when nothing is.
func headerFilterProblem(f string) string {
	name, _, _ := strings.Cut(f, ":")
	if f != "" && (strings.TrimSpace(name) == "" || strings.ContainsAny(strings.TrimSpace(name), " \t")) {
		return `must be "Name: value" or "Name", got ` + strconv.Quote(cutString(f, 64))
	}
	return ""
}

// withoutCredentialHeaders copies h less every header that carries a
// credential (credentialHeader): what the record keeps of a request's
// headers.
func withoutCredentialHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, values := range h {
		if !credentialHeader(name) {
			out[name] = slices.Clone(values)
		}
	}
	return out
}
