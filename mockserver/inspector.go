package mockserver

import (
	"bytes"
	"embed"
	"fmt"
	"hash/fnv"
	"html/template"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/benjiconnect/benji/internal/contract"
)

// The request inspector is an HTML page over the journal and the fault
// queue, at GET /__mock/, for people who run the mock where they cannot
// call its Go handles (docker-compose). It is rendered on the server with
// html/template, and its stylesheet and script are embedded in the binary:
// it works offline, and as a plain list without JavaScript. The script
// polls a fragment of the page (livePath) and swaps it in; the forms post
// to small endpoints that call the Server's methods and answer 303 back to
// the page. routes.go routes it beside the admin API, whose switch
// (Options.DisableAdmin) and token (Options.AdminToken) it obeys.
const (
	inspectorPath     = adminPrefix + "/"
	uiPrefix          = adminPrefix + "/ui"
	livePath          = uiPrefix + "/live"
	faultFormPath     = uiPrefix + "/faults"
	clearFaultsPath   = uiPrefix + "/faults/clear"
	clearRequestsPath = uiPrefix + "/requests/clear"
	clearDriftPath    = uiPrefix + "/drift/clear"
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

// maxRendersAtOnce bounds the pages and fragments rendered at once, across
// every browser and poller: a render of 1000 entries takes tens of
// milliseconds of CPU, and unbounded pollers of ?limit=1000 took nine
// tenths of the API's throughput on two cores. Past the bound the page and
// the fragment answer 503 with Retry-After (renderRetryAfter) at once,
// rather than queueing work; the page's script tries again at its next
// poll. An unchanged fragment (304) needs no render and is always answered.
const maxRendersAtOnce = 2

// renderRetryAfter is the Retry-After of the inspector's 503, in seconds.
const renderRetryAfter = "1"

// sessionCookie names the cookie that lets a browser into the inspector
// when an admin token is set (a browser cannot send a bearer header when it
// navigates). It holds its time of issue signed with a key made at start-up
// (sessions), nothing of the token.
const sessionCookie = "benji_mock_admin"

// inspectorCSP keeps everything the page shows inert: scripts and styles
// only from the mock's own files (no inline ones, so an escaping mistake
// could not run anything), forms only to the mock, no framing.
const inspectorCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed assets/page.html.tmpl assets/inspector.css assets/inspector.js assets/favicon.svg
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
	return template.ParseFS(inspectorFiles, "assets/page.html.tmpl")
})

// inspector is the request inspector: its page, the fragment the page
// polls, its files, its forms and its sessions. It serves the Server's
// handles (srv) to a browser, as the admin API (admin) serves them to
// tools; both let the guard decide who may.
type inspector struct {
	srv   *Server
	guard *guard
	log   *slog.Logger
	tmpl  *template.Template
	// assets holds the page's files by path.
	assets     map[string]*asset
	htmlHeader http.Header // shared and never modified
	// contractID is the ContractHeader value, which the page shows.
	contractID string
	// maxViolations bounds the filter problems listed, as the admin API's.
	maxViolations int
	// nonce tells this server's fragment ETags from another's (a restarted
	// mock's journal numbers its entries from 1 again).
	nonce uint64
	// renders holds a slot for each render in progress (maxRendersAtOnce).
	renders slots
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

func newInspector(srv *Server, g *guard) (*inspector, error) {
	cat := srv.cat
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
		srv:           srv,
		guard:         g,
		log:           srv.log,
		contractID:    cat.contractID,
		maxViolations: cat.contract.MaxViolations,
		tmpl:          tmpl,
		htmlHeader:    secure("text/html; charset=utf-8"),
		modes:         enumNames(cat.contract, "Mode"),
		actionModes:   enumNames(cat.contract, "ActionMode"),
		statuses:      slices.Sorted(maps.Keys(cat.byStatus)),
		examples:      slices.Sorted(maps.Keys(cat.byName)),
		outcomes:      cat.outcomes,
		nonce:         rand.Uint64(),
		renders:       make(slots, maxRendersAtOnce),
	}
	in.assets = make(map[string]*asset, len(inspectorAssets))
	for name, mediaType := range inspectorAssets {
		body, err := inspectorFiles.ReadFile("assets/" + name)
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

// page answers GET /__mock/: the page, or the token form when an
// admin token is set and the browser has not given it.
func (in *inspector) page(r *http.Request, _ *exchange) answer {
	if outcome, why := in.guard.refusal(r); outcome != "" {
		return in.message(http.StatusForbidden, outcome, why)
	}
	allowed, wait := in.guard.access(r)
	if wait > 0 {
		return in.throttledLogin(wait)
	}
	if !allowed {
		return in.login(http.StatusUnauthorized, "")
	}
	release, ok := in.renders.tryTake()
	if !ok {
		return in.busy()
	}
	defer release()
	v, status := in.pageView(r.URL.Query())
	return in.render("page", status, v)
}

// live answers the fragment the page's script polls: the journal
// and the fault queue, with an ETag, and 304 when nothing changed (the
// script then leaves the page alone). It is logged at debug level.
func (in *inspector) live(r *http.Request, x *exchange) answer {
	x.quiet = true
	if outcome, why := in.guard.refusal(r); outcome != "" {
		return in.message(http.StatusForbidden, outcome, why)
	}
	allowed, wait := in.guard.access(r)
	if wait > 0 {
		return in.message(http.StatusTooManyRequests, OutcomeRateLimited, throttledMessage(wait)).
			withHeader("Retry-After", retryAfterSeconds(wait))
	}
	if !allowed {
		return in.message(http.StatusUnauthorized, OutcomeUnauthorized, "Signed out: reload the page to give the admin token again.").
			withHeader("Www-Authenticate", `Bearer realm="benji-mock admin"`)
	}
	q := r.URL.Query()
	// The tag is taken before the fragment is made: a request journaled
	// in between shows in the fragment and changes the next tag, so a 304
	// never hides it.
	etag := in.liveTag(q)
	if headerValue(r.Header, "If-None-Match") == etag {
		return answer{status: http.StatusNotModified, header: in.htmlHeader, outcome: OutcomeOK}.withHeader("Etag", etag)
	}
	release, ok := in.renders.tryTake()
	if !ok {
		return in.busy()
	}
	defer release()
	v, status := in.pageView(q)
	a := in.render("live", status, v.Live)
	if a.status != status {
		return a // the template failed
	}
	return a.withHeader("Etag", etag)
}

// liveTag is the ETag of the fragment for query q, made without rendering
// it or looking at what it shows: the fragment depends on nothing but the
// query and three version counters (the journal's entries, the fault
// queue, the drift report), so an open page that polls an idle mock costs
// next to nothing however much the mock holds. Anything added to liveView
// must be added here too.
func (in *inspector) liveTag(q url.Values) string {
	seq, n, amended := in.srv.journal.version()
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%d\x00%d\x00%d\x00%d\x00%d", in.nonce, q.Encode(), seq, n, amended, in.srv.faults.version(), in.srv.proxy.driftVersion())
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// serveAsset answers one of the page's embedded files.
func (in *inspector) serveAsset(a *asset) func(*http.Request, *exchange) answer {
	return func(r *http.Request, _ *exchange) answer {
		if headerValue(r.Header, "If-None-Match") == a.etag {
			return answer{status: http.StatusNotModified, header: a.header, outcome: OutcomeOK}
		}
		return answer{status: http.StatusOK, header: a.header, body: a.body, outcome: OutcomeOK}
	}
}

// busy answers a page or fragment past maxRendersAtOnce.
func (in *inspector) busy() answer {
	return in.message(http.StatusServiceUnavailable, OutcomeServiceUnavailable,
		"The inspector is rendering as many pages as it may at once; try again in a second.").
		withHeader("Retry-After", renderRetryAfter)
}

// render executes one of the page's templates into an answer.
func (in *inspector) render(name string, status int, data any) answer {
	var buf bytes.Buffer
	if err := in.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		in.log.Error("inspector template", "template", name, "error", err)
		return in.message(http.StatusInternalServerError, OutcomeInternalError, "The inspector failed to render the page.")
	}
	outcome := OutcomeOK
	switch status {
	case http.StatusBadRequest:
		outcome = OutcomeInvalidQuery
	case http.StatusUnauthorized:
		outcome = OutcomeUnauthorized
	case http.StatusTooManyRequests:
		outcome = OutcomeRateLimited
	}
	return answer{status: status, header: in.htmlHeader, body: buf.Bytes(), outcome: outcome}
}

// login answers the token form, with why the last try failed.
func (in *inspector) login(status int, complaint string) answer {
	a := in.render("login", status, pageView{Contract: in.contractID, TokenSet: true, LoginError: complaint})
	if status == http.StatusUnauthorized {
		a = a.withHeader("Www-Authenticate", `Bearer realm="benji-mock admin"`)
	}
	return a
}

// message answers a short HTML page that says one thing.
func (in *inspector) message(status int, outcome, message string) answer {
	var buf bytes.Buffer
	if err := in.tmpl.ExecuteTemplate(&buf, "message", message); err != nil {
		in.log.Error("inspector template", "template", "message", "error", err)
		buf.Reset()
		buf.WriteString("The inspector failed to render the page.")
	}
	return answer{status: status, header: in.htmlHeader, body: buf.Bytes(), outcome: outcome}
}
