package mockserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"html/template"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/contract"
)

// The request inspector is an HTML page over the journal and the fault
// queue, at GET /__mock/, for people who run the mock where they cannot
// call its Go handles (docker-compose). It is rendered on the server with
// html/template, and its stylesheet and script are embedded in the binary:
// it works offline, and as a plain list without JavaScript. The script
// polls a fragment of the page (livePath) and swaps it in; the forms post
// to small endpoints that call the Server's methods and answer 303 back to
// the page. server.go routes it beside the admin API, whose switch
// (Options.DisableAdmin) and token (Options.AdminToken) it obeys.
const (
	inspectorPath     = adminPrefix + "/"
	uiPrefix          = adminPrefix + "/ui"
	livePath          = uiPrefix + "/live"
	faultFormPath     = uiPrefix + "/faults"
	clearFaultsPath   = uiPrefix + "/faults/clear"
	clearRequestsPath = uiPrefix + "/requests/clear"
	loginPath         = uiPrefix + "/login"
	logoutPath        = uiPrefix + "/logout"
)

// How many journal entries the page shows: defaultPageEntries unless the
// limit parameter asks for more, and never more than maxPageEntries (the
// default journal size), so that one page stays a few megabytes at most.
const (
	defaultPageEntries = 100
	maxPageEntries     = 1000
)

// maxPageBodyLines bounds the bodies one page lays out, in lines and
// violations: 1000 ordinary entries (10 to 25 lines each) fit, while 1000
// bodies of 4 KiB with 50 violations each would make a page of 14 MB that
// takes the server most of a second and the browser longer. Entries past
// the budget are listed without their bodies, and a note says so.
const maxPageBodyLines = 30_000

// pollInterval is how often the page's script asks for a fresh fragment.
const pollInterval = time.Second

// sessionCookie names the cookie that lets a browser into the inspector
// when an admin token is set (a browser cannot send a bearer header when it
// navigates). It holds a MAC of the token, not the token.
const sessionCookie = "benji_mock_admin"

// inspectorCSP keeps everything the page shows inert: scripts and styles
// only from the mock's own files (no inline ones, so an escaping mistake
// could not run anything), forms only to the mock, no framing.
const inspectorCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed inspector/page.html.tmpl inspector/inspector.css inspector/inspector.js inspector/favicon.svg
var inspectorFiles embed.FS

// inspectorAssets lists the page's files, served under uiPrefix, with
// their media types. The icon spares the browser's request for
// /favicon.ico, which the journal would record as an API request.
var inspectorAssets = map[string]string{
	"inspector.css": "text/css; charset=utf-8",
	"inspector.js":  "text/javascript; charset=utf-8",
	"favicon.svg":   "image/svg+xml",
}

// loadInspectorTemplate parses the page's template once per process; the
// parsed template is safe for concurrent use and never modified.
var loadInspectorTemplate = sync.OnceValues(func() (*template.Template, error) {
	return template.ParseFS(inspectorFiles, "inspector/page.html.tmpl")
})

// inspector holds what the page needs, prepared once per server.
type inspector struct {
	tmpl *template.Template
	// assets holds the page's files by path.
	assets      map[string]*asset
	htmlHeader  http.Header // shared and never modified
	crossOrigin *http.CrossOriginProtection
	// session is the session cookie's value; nil without an admin token.
	session []byte
	// nonce tells this server's fragment ETags from another's (a restarted
	// mock's journal numbers its entries from 1 again).
	nonce uint64
	// modes and actionModes name the contract's modes ("3" → "Transfer").
	modes, actionModes map[string]string
	// The fault form's and the filter form's choices.
	statuses []int
	examples []string
	outcomes []string
}

// asset is an embedded file with its headers.
type asset struct {
	body   []byte
	header http.Header
	etag   string
}

func newInspector(cat *catalog, adminToken string) (*inspector, error) {
	tmpl, err := loadInspectorTemplate()
	if err != nil {
		return nil, fmt.Errorf("inspector template: %w", err)
	}
	secure := func(contentType string) http.Header {
		return http.Header{
			"Content-Type":            {contentType},
			"Content-Security-Policy": {inspectorCSP},
			"X-Content-Type-Options":  {"nosniff"},
			"Referrer-Policy":         {"no-referrer"},
			"X-Frame-Options":         {"DENY"},
			"Cache-Control":           {"no-store"},
		}
	}
	in := &inspector{
		tmpl:        tmpl,
		htmlHeader:  secure("text/html; charset=utf-8"),
		crossOrigin: http.NewCrossOriginProtection(),
		modes:       enumNames(cat.contract, "Mode"),
		actionModes: enumNames(cat.contract, "ActionMode"),
		statuses:    slices.Sorted(maps.Keys(cat.byStatus)),
		examples:    slices.Sorted(maps.Keys(cat.byName)),
		outcomes:    cat.outcomes,
		nonce:       rand.Uint64(),
	}
	in.assets = make(map[string]*asset, len(inspectorAssets))
	for name, mediaType := range inspectorAssets {
		body, err := inspectorFiles.ReadFile("inspector/" + name)
		if err != nil {
			return nil, fmt.Errorf("inspector asset: %w", err)
		}
		h := secure(mediaType)
		// Revalidated on every load, so that a new binary's files show.
		h.Set("Cache-Control", "no-cache")
		etag := etagOf(body)
		h.Set("ETag", etag)
		in.assets[uiPrefix+"/"+name] = &asset{body: body, header: h, etag: etag}
	}
	if adminToken != "" {
		mac := hmac.New(sha256.New, []byte(adminToken))
		mac.Write([]byte("benji-mock inspector session"))
		in.session = []byte(base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
	}
	return in, nil
}

// enumNames maps an enum schema's values to their x-enum-descriptions.
func enumNames(c *contract.Contract, schema string) map[string]string {
	names := map[string]string{}
	ref := c.Doc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		return names
	}
	descriptions, _ := ref.Value.Extensions["x-enum-descriptions"].([]any)
	for i, v := range ref.Value.Enum {
		if i < len(descriptions) {
			names[fmt.Sprint(v)] = fmt.Sprint(descriptions[i])
		}
	}
	return names
}

// etagOf is a strong validator for a body: FNV-1a is plenty to tell two
// renderings apart, and fast.
func etagOf(body []byte) string {
	h := fnv.New64a()
	h.Write(body)
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// validSession reports whether the request carries the session cookie.
func (in *inspector) validSession(r *http.Request) bool {
	if in.session == nil {
		return false
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), in.session) == 1
}

// pageView is what the page's template renders.
type pageView struct {
	Contract string
	// TokenSet says an admin token protects the page: it offers to sign out.
	TokenSet bool
	// LoginError is the token form's complaint, on the token form.
	LoginError string
	Filter     filterForm
	Outcomes   []string
	Statuses   []int
	Examples   []string
	Modes      []modeChoice
	Fault      faultForm
	// FaultError says why the fault form's fault was refused.
	FaultError string
	// Refresh is the page's own address, with its filters.
	Refresh string
	// LiveURL is the fragment the script polls; IntervalMS how often.
	LiveURL    string
	IntervalMS int64
	Live       liveView
}

// liveView is the part of the page that updates by itself.
type liveView struct {
	// Problems lists what is wrong with the filters; nothing is listed then.
	Problems []gen.FieldError
	Entries  []entryView
	// Limit is how many entries are shown at most; More says more match.
	Limit int
	More  bool
	// MaxLimit is the most entries the page shows, whatever the limit.
	MaxLimit int
	// Filtered says a filter is set.
	Filtered bool
	// BodiesOmitted counts the entries listed without their bodies, past
	// maxPageBodyLines.
	BodiesOmitted int
	Faults        []faultView
	// Drift is proxy mode's summary of how the real API's answers depart
	// from the contract, rendered only when non-empty. Whatever fills it
	// must also feed liveTag, or a poll would get 304 after it changed.
	Drift []driftView
}

// driftView is one line of the drift summary.
type driftView struct {
	Field, Message string
	Count          int
}

// filterForm holds the filter form's values as given.
type filterForm struct {
	Outcome, Status, UserExternalID, Limit string
}

// modeChoice is one of the contract's modes, for a select.
type modeChoice struct {
	Value, Name string
}

// entryView is one journal entry as the page shows it.
type entryView struct {
	Seq                 uint64
	Time, TimeFull      string
	Method, Path        string
	Status, StatusClass string
	Outcome             string
	RequestID           string
	Injected            string
	Token               string
	// The decoded body's main fields, when it matched the contract.
	Decoded        bool
	Mode           string
	DisplayName    string
	PartnershipID  string
	UserExternalID string
	Actions        []string
	Body           bodyView
	// Open says the entry's details start unfolded: it has violations.
	Open bool
	// BodyOmitted says the page's budget of body lines ran out before
	// this entry.
	BodyOmitted       bool
	Violations        int
	ViolationsOmitted int
	Truncated         bool
	EmptyBody         bool
}

// faultView is one queued fault as the page shows it.
type faultView struct {
	What  string
	Match string
	Times int
}

// inspectorPage answers GET /__mock/: the page, or the token form when an
// admin token is set and the browser has not given it.
func (s *Server) inspectorPage(r *http.Request, _ *exchange) answer {
	if !s.adminAllowed(r) {
		return s.inspectorLogin(http.StatusUnauthorized, "")
	}
	v, status := s.pageView(r.URL.Query())
	return s.renderInspector("page", status, v)
}

// inspectorLive answers the fragment the page's script polls: the journal
// and the fault queue, with an ETag, and 304 when nothing changed (the
// script then leaves the page alone). It is logged at debug level.
func (s *Server) inspectorLive(r *http.Request, x *exchange) answer {
	x.quiet = true
	if !s.adminAllowed(r) {
		return s.inspectorMessage(http.StatusUnauthorized, OutcomeUnauthorized, "Signed out: reload the page to give the admin token again.").
			withHeader("Www-Authenticate", `Bearer realm="benji-mock admin"`)
	}
	q := r.URL.Query()
	// The tag is taken before the fragment is made: a request journaled
	// in between shows in the fragment and changes the next tag, so a 304
	// never hides it.
	etag := s.liveTag(q)
	if headerValue(r.Header, "If-None-Match") == etag {
		return answer{status: http.StatusNotModified, header: s.inspector.htmlHeader, outcome: OutcomeOK}.withHeader("Etag", etag)
	}
	v, status := s.pageView(q)
	a := s.renderInspector("live", status, v.Live)
	if a.status != status {
		return a // the template failed
	}
	return a.withHeader("Etag", etag)
}

// liveTag is the ETag of the fragment for query q, made without rendering
// it: the fragment depends on nothing but the query, the journal's entries
// (journal.version) and the fault queue, so an open page that polls an
// idle mock costs next to nothing. Anything added to liveView must be
// added here too.
func (s *Server) liveTag(q url.Values) string {
	seq, n := s.journal.version()
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%d\x00%d\x00%v", s.inspector.nonce, q.Encode(), seq, n, s.Faults())
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// inspectorAsset answers one of the page's embedded files.
func (s *Server) inspectorAsset(a *asset) func(*http.Request, *exchange) answer {
	return func(r *http.Request, _ *exchange) answer {
		if headerValue(r.Header, "If-None-Match") == a.etag {
			return answer{status: http.StatusNotModified, header: a.header, outcome: OutcomeOK}
		}
		return answer{status: http.StatusOK, header: a.header, body: a.body, outcome: OutcomeOK}
	}
}

// pageView builds the page from the journal and the fault queue, filtered
// by q as GET /__mock/requests is (same parameters, same checks). It
// returns 400 with the filters' problems listed when q is not valid.
func (s *Server) pageView(q url.Values) (pageView, int) {
	in := s.inspector
	v := pageView{
		Contract: s.cat.contractID,
		TokenSet: s.opts.AdminToken != "",
		Filter: filterForm{
			Outcome:        cutString(q.Get("outcome"), maxPathBytes),
			Status:         cutString(q.Get("status"), maxPathBytes),
			UserExternalID: cutString(q.Get("user_external_id"), maxPathBytes),
			Limit:          cutString(q.Get("limit"), maxPathBytes),
		},
		Outcomes:   in.outcomes,
		Statuses:   in.statuses,
		Examples:   in.examples,
		IntervalMS: pollInterval.Milliseconds(),
		Refresh:    inspectorPath,
		LiveURL:    livePath,
	}
	for _, value := range slices.Sorted(maps.Keys(in.modes)) {
		v.Modes = append(v.Modes, modeChoice{Value: value, Name: in.modes[value]})
	}
	if len(q) > 0 {
		v.Refresh += "?" + q.Encode()
		v.LiveURL += "?" + q.Encode()
	}
	for _, f := range s.Faults() {
		v.Live.Faults = append(v.Live.Faults, in.faultView(f))
	}
	f, problems := s.parseFilter(q)
	if len(problems) > 0 {
		v.Live.Problems = problems[:min(len(problems), s.cat.contract.MaxViolations)]
		return v, http.StatusBadRequest
	}
	v.Live.Filtered = f.Status != 0 || f.Outcome != "" || f.UserExternalID != ""
	limit := f.Limit
	if limit == 0 {
		limit = defaultPageEntries
	}
	limit = min(limit, maxPageEntries)
	f.Limit = limit + 1 // one more, to know that more match
	entries := s.Requests(f)
	v.Live.Limit, v.Live.MaxLimit, v.Live.More = limit, maxPageEntries, len(entries) > limit
	entries = entries[:min(len(entries), limit)]
	v.Live.Entries = make([]entryView, len(entries))
	budget := maxPageBodyLines
	for i := range entries {
		ev := in.entryView(&entries[i], budget > 0)
		v.Live.Entries[i] = ev
		budget -= ev.Body.cost()
		if ev.BodyOmitted {
			v.Live.BodiesOmitted++
		}
	}
	return v, http.StatusOK
}

// entryView makes the page's view of an entry; withBody says whether to
// lay its body out.
func (in *inspector) entryView(e *Entry, withBody bool) entryView {
	v := entryView{
		Seq:               e.Seq,
		Time:              e.Time.Format("15:04:05.000"),
		TimeFull:          e.Time.Format(time.RFC3339Nano),
		Method:            e.Method,
		Path:              e.Path,
		Status:            strconv.Itoa(e.Status),
		StatusClass:       "s" + strconv.Itoa(e.Status/100),
		Outcome:           e.Outcome,
		RequestID:         e.RequestID,
		Injected:          e.Injected,
		Token:             e.Token,
		Violations:        len(e.Violations),
		ViolationsOmitted: e.ViolationsOmitted,
		Truncated:         e.Truncated,
		EmptyBody:         e.Body == "",
		Open:              len(e.Violations) > 0,
	}
	if e.Status == 0 {
		v.Status = "—"
	}
	switch {
	case v.EmptyBody && len(e.Violations) == 0:
	case withBody:
		v.Body = viewBody(e.Body, e.Violations)
	default:
		v.BodyOmitted, v.Open = true, false
	}
	if r := e.Request; r != nil {
		v.Decoded = true
		v.Mode = in.named(in.modes, int64(r.Mode))
		v.DisplayName = r.DisplayName
		if r.PartnershipId != nil {
			v.PartnershipID = partnershipID(*r.PartnershipId)
		}
		if r.UserExternalId != nil {
			v.UserExternalID = *r.UserExternalId
		}
		if r.CustomAttributes != nil && r.CustomAttributes.Actions != nil {
			for _, a := range *r.CustomAttributes.Actions {
				action := in.named(in.actionModes, int64(a.Mode)) + " × " + strconv.FormatInt(a.Amount, 10)
				if a.AllowsEditing != nil && *a.AllowsEditing {
					action += ", editable"
				}
				v.Actions = append(v.Actions, action)
			}
		}
	}
	return v
}

// named writes an enum value with its contract name: "3 Transfer".
func (in *inspector) named(names map[string]string, value int64) string {
	s := strconv.FormatInt(value, 10)
	if name, ok := names[s]; ok {
		return s + " " + name
	}
	return s
}

func (in *inspector) faultView(f Fault) faultView {
	v := faultView{What: strings.TrimPrefix(f.describe(), "fault "), Times: f.Times}
	var match []string
	for _, m := range []struct{ name, value string }{
		{"user_external_id", f.Match.UserExternalID},
		{"display_name", f.Match.DisplayName},
		{"partnership_id", f.Match.PartnershipID},
	} {
		if m.value != "" {
			match = append(match, m.name+"="+strconv.Quote(m.value))
		}
	}
	if f.Match.Mode != 0 {
		match = append(match, "mode="+in.named(in.modes, int64(f.Match.Mode)))
	}
	v.Match = strings.Join(match, ", ")
	return v
}

// renderInspector executes one of the page's templates into an answer.
func (s *Server) renderInspector(name string, status int, data any) answer {
	var buf bytes.Buffer
	if err := s.inspector.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("inspector template", "template", name, "error", err)
		return s.inspectorMessage(http.StatusInternalServerError, OutcomeInternalError, "The inspector failed to render the page.")
	}
	outcome := OutcomeOK
	switch status {
	case http.StatusBadRequest:
		outcome = OutcomeInvalidQuery
	case http.StatusUnauthorized:
		outcome = OutcomeUnauthorized
	}
	return answer{status: status, header: s.inspector.htmlHeader, body: buf.Bytes(), outcome: outcome}
}

// inspectorLogin answers the token form, with why the last try failed.
func (s *Server) inspectorLogin(status int, complaint string) answer {
	a := s.renderInspector("login", status, pageView{Contract: s.cat.contractID, TokenSet: true, LoginError: complaint})
	if status == http.StatusUnauthorized {
		a = a.withHeader("Www-Authenticate", `Bearer realm="benji-mock admin"`)
	}
	return a
}

// inspectorMessage answers a short HTML page that says one thing.
func (s *Server) inspectorMessage(status int, outcome, message string) answer {
	var buf bytes.Buffer
	if err := s.inspector.tmpl.ExecuteTemplate(&buf, "message", message); err != nil {
		s.log.Error("inspector template", "template", "message", "error", err)
		buf.Reset()
		buf.WriteString("The inspector failed to render the page.")
	}
	return answer{status: status, header: s.inspector.htmlHeader, body: buf.Bytes(), outcome: outcome}
}
