package mockserver

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/contract"
)

// maxJournalBody bounds the raw body an Entry keeps.
const maxJournalBody = 4 << 10

// MaxEntryBytes bounds one journal entry, as the admin API encodes it. Every
// cut is in encoded bytes: the body at 4 KiB; the decoded request's strings
// at 256 bytes and its actions at 16; the path and the Prefer value at 256
// bytes; a 400's violations at 50, each message at 120 bytes. A 400 comes
// to about 4 + 50 x 0.2 + 0.5 = 14.5 KiB at most. The request's headers
// add 4 KiB at most (MaxEntryHeaderBytes). In proxy mode an entry adds the
// upstream's answer: its body at 2 KiB, 10 departures of at most 0.45 KiB
// each, its error at 256 bytes and at most 6 headers of 128-byte values,
// about 8 KiB more. A journal of N entries holds at most N times this much.
const MaxEntryBytes = 28 << 10

// Entry is one request as the mock saw and answered it. It holds the
// request's headers with their credentials redacted: the bearer token is
// never in it.
type Entry struct {
	// Seq numbers entries from 1 in arrival order; it survives Reset.
	Seq uint64 `json:"seq"`
	// RequestID is the X-Request-Id the request was answered with.
	RequestID string `json:"request_id"`
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// Method and Path are the request line's.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Header is the request's headers: at most MaxEntryHeaders values, the
	// first by name, within MaxEntryHeaderBytes. Credentials are replaced
	// by "[redacted]", after a known scheme ("Bearer [redacted]"): the
	// values of Authorization, Proxy-Authorization, Cookie and every header
	// whose name holds auth, cookie, credential, jwt, key, passw,
	// passphrase, secret, session or token (Idempotency-Key aside); and
	// the bearer token wherever else it appears.
	Header http.Header `json:"header,omitempty"`
	// HeadersOmitted counts the header values left out of Header.
	HeadersOmitted int `json:"headers_omitted,omitempty"`
	// Status is the status answered; 0 when the connection was dropped.
	Status int `json:"status"`
	// Outcome is "ok" for a token issued, otherwise the error code answered
	// ("invalid_request", "unauthorized", ...), "dropped" for a dropped
	// connection.
	Outcome string `json:"outcome"`
	// Violations lists what was wrong with the body, on a 400: the first
	// 50, as the answer's errors does.
	Violations []gen.FieldError `json:"violations,omitempty"`
	// ViolationsOmitted counts the violations beyond those listed.
	ViolationsOmitted int `json:"violations_omitted,omitempty"`
	// Request is the decoded body, when it matched the contract. Keys are
	// matched case-sensitively, as the contract reads them.
	Request *gen.TokenRequest `json:"request,omitempty"`
	// Body is the raw body as received, cut at 4 KiB.
	Body string `json:"body,omitempty"`
	// Truncated says the body was longer than 4 KiB: Body is its start, and
	// Request has its strings cut at 256 bytes and its actions at 16.
	Truncated bool `json:"truncated,omitempty"`
	// Token is the token issued, on a 200.
	Token string `json:"token,omitempty"`
	// token is Token as issued; Token is made from it when the entry is
	// read.
	token uuid.UUID
	// Injected says which queued fault or Prefer preference shaped the answer.
	Injected string `json:"injected,omitempty"`
	// WouldRefuse, in proxy mode, is the code of the refusal the mock would
	// have answered (unauthorized, unsupported_media_type, malformed_json,
	// invalid_request) for a request it forwarded all the same.
	WouldRefuse string `json:"would_refuse,omitempty"`
	// Upstream, in proxy mode, is what became of the request at the
	// upstream; nil when the mock answered itself (a fault, Prefer, a
	// refusal).
	Upstream *UpstreamAnswer `json:"upstream,omitempty"`

	// raw is the body as received (cut at 4 KiB); Body is made from it
	// when the entry is read, not on the hot path. The request's own
	// buffer, never written after the request: no copy is needed.
	raw []byte
	// decode says Request is still to be decoded from raw (a whole body):
	// the hot path leaves that to whoever reads the journal.
	decode bool
	// headers are Header as name-value pairs (keptHeader); Header is made
	// from them when the entry is read.
	headers []string
}

// forReading returns e with Body, Request and Token filled in.
func (e Entry) forReading(c *contract.Contract) Entry {
	if e.token != uuid.Nil {
		e.Token = e.token.String()
	}
	if e.raw != nil {
		e.Body = string(e.raw)
	}
	if e.headers != nil {
		e.Header, e.headers = headerOf(e.headers), nil
	}
	if e.decode {
		var r gen.TokenRequest
		if c.DecodeBody(e.raw, &r) == nil {
			e.Request = cutRequest(r)
		}
		e.decode = false
	}
	e.raw = nil
	return e
}

// Filter selects journal entries; zero fields match everything.
type Filter struct {
	Status         int
	Outcome        string
	UserExternalID string
	// Header selects entries whose request sent a header: "Name: value"
	// (the name in any case, the value as Entry.Header keeps it), or
	// "Name" for any value.
	Header string
	// Limit caps how many entries come back; zero means all.
	Limit int
}

func (f Filter) matches(e *Entry) bool {
	if !f.matchesRecord(e) {
		return false
	}
	if f.UserExternalID != "" {
		if e.Request == nil || e.Request.UserExternalId == nil || *e.Request.UserExternalId != f.UserExternalID {
			return false
		}
	}
	return true
}

// matchesRecord is matches on what an entry has before its body is
// decoded: the status, the outcome and the headers.
func (f Filter) matchesRecord(e *Entry) bool {
	return (f.Status == 0 || e.Status == f.Status) && (f.Outcome == "" || e.Outcome == f.Outcome) && f.matchesHeader(e)
}

// journal is a bounded ring of entries, safe for concurrent use.
type journal struct {
	contract *contract.Contract // decodes bodies for readers
	mu       sync.Mutex
	entries  []Entry // ring storage, len == capacity once full
	next     int     // index the next entry goes to
	full     bool
	seq      uint64
	// amended counts the entries changed once added: an answer journaled
	// before it went out, and then found undelivered (see dropped).
	amended uint64
}

func newJournal(size int, c *contract.Contract) *journal {
	return &journal{entries: make([]Entry, 0, size), contract: c}
}

// add journals e and returns its Seq.
func (j *journal) add(e Entry) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if !j.full {
		j.entries = append(j.entries, e)
		if len(j.entries) == cap(j.entries) {
			j.full = true
		}
		j.next = len(j.entries) % cap(j.entries)
		return e.Seq
	}
	j.entries[j.next] = e
	j.next = (j.next + 1) % len(j.entries)
	return e.Seq
}

// dropped amends the entry numbered seq, if the journal still holds it: its
// answer, journaled before it went out, did not reach the client.
func (j *journal) dropped(seq uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := uint64(len(j.entries))
	if seq == 0 || seq > j.seq || j.seq-seq >= n {
		return // reset or overwritten since
	}
	// The newest entry is at next-1; seq is j.seq-seq entries older.
	e := &j.entries[(uint64(j.next)+n-1-(j.seq-seq))%n]
	e.Status, e.Outcome, e.token = 0, OutcomeDropped, uuid.Nil
	j.amended++
}

// list returns the matching entries, newest first. Bodies are decoded
// outside the lock, so that readers do not hold up requests.
func (j *journal) list(f Filter) []Entry {
	j.mu.Lock()
	all := make([]Entry, len(j.entries))
	n := len(j.entries)
	for i := 1; i <= n; i++ {
		all[i-1] = j.entries[(j.next-i+n)%n]
	}
	j.mu.Unlock()
	out := []Entry{}
	for _, e := range all {
		if !f.matchesRecord(&e) {
			continue // not decoded for nothing
		}
		if e = e.forReading(j.contract); f.matches(&e) {
			out = append(out, e)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out
}

// byToken finds the entry that issued token.
func (j *journal) byToken(token string) (Entry, bool) {
	id, err := uuid.Parse(token)
	if err != nil || id == uuid.Nil || len(token) != 36 {
		return Entry{}, false // not a token the mock issues
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range j.entries {
		if j.entries[i].token == id {
			return j.entries[i].forReading(j.contract), true
		}
	}
	return Entry{}, false
}

func (j *journal) reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.entries = j.entries[:0]
	j.next = 0
	j.full = false
}

// version identifies what the journal holds: seq only grows, so the newest
// entry's number and the count name the entries exactly (seq-n+1 to seq),
// and amended counts the changes to entries once added. The inspector's
// fragment uses it to answer 304 without rendering anything.
func (j *journal) version() (seq uint64, n int, amended uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq, len(j.entries), j.amended
}

// journalQuery lists the query parameters GET /__mock/requests takes.
var journalQuery = []string{"header", "limit", "outcome", "status", "user_external_id"}

// parseFilter reads a journal filter from query parameters (journalQuery),
// as the admin API and the inspector take it, and lists what is wrong with
// them.
func parseFilter(q url.Values, outcomes []string) (Filter, []gen.FieldError) {
	var f Filter
	var bad []gen.FieldError
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(journalQuery, name) {
			bad = append(bad, gen.FieldError{Field: cutString(name, 64), Message: "is not a filter; the filters are " + strings.Join(journalQuery, ", ")})
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"status", &f.Status}, {"limit", &f.Limit}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				bad = append(bad, gen.FieldError{Field: p.name, Message: "must be a whole number, got " + strconv.Quote(cutString(v, 32))})
				continue
			}
			*p.dst = n
		}
	}
	f.Outcome = q.Get("outcome")
	if f.Outcome != "" && !slices.Contains(outcomes, f.Outcome) {
		bad = append(bad, gen.FieldError{Field: "outcome", Message: fmt.Sprintf("must be one of %s, got %q", strings.Join(outcomes, ", "), cutString(f.Outcome, 32))})
	}
	f.UserExternalID = q.Get("user_external_id")
	if f.Header = q.Get("header"); headerFilterProblem(f.Header) != "" {
		bad = append(bad, gen.FieldError{Field: "header", Message: headerFilterProblem(f.Header)})
	}
	return f, bad
}
