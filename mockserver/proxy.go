package mockserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/contract"
)

// In proxy mode (Options.Upstream), the last step of deciding an answer
// forwards the request to the real API and takes its answer as it is. The
// exchange is recorded on the request's record: the journal, the log, the
// drift report and the record file are made from it.

// proxy is where answers the mock does not make come from: the upstream
// it forwards to (proxy mode, Options.Upstream), the record it replays
// (Options.Replay), or both, the replay first. It owns the drift report
// those answers are summed up in and the record the upstream's are written
// to. A Server has one only when Options.Upstream or Options.Replay is
// set. Its steps, in the order a request takes them: answer (replayed, or
// forward and failure), checkAnswer, record.
type proxy struct {
	// upstream is the real API; nil when the mock only replays.
	upstream *upstream
	// replay answers from Options.Replay; nil without it.
	replay *replay
	// replayFiles are Options.Replay, for the drift report.
	replayFiles []string
	// drift sums up how the upstream's answers depart from the contract.
	drift driftReport
	// recorder writes Options.Record; nil when there is none.
	recorder *recorder
	log      *slog.Logger
	cat      *catalog
	// bigChecks is the Server's bound on large bodies checked at once.
	bigChecks slots
}

func newProxy(o Options, cat *catalog, bigChecks slots) (*proxy, error) {
	p := &proxy{log: o.Logger, cat: cat, bigChecks: bigChecks}
	if o.Upstream != "" {
		up, err := newUpstream(o)
		if err != nil {
			return nil, err
		}
		p.upstream = up
		if o.Record != nil {
			p.recorder = &recorder{w: o.Record, log: o.Logger, limit: MaxRecordBytes}
		}
	}
	if len(o.Replay) > 0 {
		rec, err := loadRecord(o.Replay...)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		for _, d := range rec.dropped {
			p.log.Warn("replay: "+d, "files", o.Replay)
		}
		if n := rec.droppedTotal - len(rec.dropped); n > 0 {
			p.log.Warn("replay: more credentials dropped", "count", n)
		}
		p.replay, p.replayFiles = newReplay(rec), slices.Clone(o.Replay)
		p.warnUnreplayable()
	}
	return p, nil
}

// warnUnreplayable warns of what a replayed record holds that no request
// can get: requests for another operation than the API's (the mock routes
// only POST to its path to the record), and a record with no answer at all
// (every exchange failed).
func (p *proxy) warnUnreplayable() {
	st := p.replay.state()
	if len(st.Requests) == 0 {
		p.log.Warn("replay: the record holds no answer to replay (every exchange in it failed)", "files", p.replayFiles)
	}
	unreplayable := 0
	for _, r := range st.Requests {
		path, _, _ := strings.Cut(r.Path, "?")
		if r.Method == http.MethodPost && path == contract.CreateTokenPath {
			continue
		}
		if unreplayable++; unreplayable <= maxDroppedListed {
			p.log.Warn("replay: a recorded request is never replayed: the mock answers only "+http.MethodPost+" "+contract.CreateTokenPath,
				"recorded", r.Recorded, "method", cutString(r.Method, 16), "path", cutString(r.Path, maxPathBytes))
		}
	}
	if n := unreplayable - maxDroppedListed; n > 0 {
		p.log.Warn("replay: more recorded requests are never replayed", "count", n)
	}
}

// answer is the last step of deciding an answer, in place of the mock's
// own token: the record's answer to the request when it holds one and the
// caller's credentials pass the mock's check, else the upstream's. ok is false when neither answers (replay alone, and the
// record holds no such request).
func (p *proxy) answer(r *http.Request, x *exchange) (a answer, ok bool) {
	// A record answers only a caller the mock lets in (Options.Tokens): it
	// holds no credentials to decide by, as the upstream does.
	if p.replay != nil && x.wouldRefuse != OutcomeUnauthorized {
		if a, ok := p.replayed(r, x); ok {
			return a, true
		}
	}
	if p.upstream != nil {
		return p.forward(r, x), true
	}
	return answer{}, false
}

// replayed is the record's next answer to a request with r's method, path
// (with its query) and body, as recorded: status, headers less those of one
// connection, body. It is checked and journaled as the upstream's would be,
// marked as replayed.
func (p *proxy) replayed(r *http.Request, x *exchange) (answer, bool) {
	if len(x.body) > bigBody {
		// Matching a large body decodes it, as checking it does.
		release, ok := p.bigChecks.take(r.Context())
		if !ok {
			// The caller is gone: nothing else is to answer it.
			return answer{drop: true, outcome: OutcomeDropped}, true
		}
		defer release()
	}
	ra, ok := p.replay.match(r.Method, r.URL.RequestURI(), x.body, headerRefusal(x.wouldRefuse))
	if !ok {
		return answer{}, false
	}
	u := &upstreamExchange{creds: credentialsOf(r), status: ra.status, replayed: true, recorded: ra.at.String()}
	x.upstream = u
	x.keepBody(u.creds.body(x.body))
	if ra.id != "" && ra.id != x.requestID {
		u.requestID = cutString(u.creds.text(ra.id), maxFieldBytes)
	}
	return answer{status: ra.status, header: ra.header, body: ra.body, outcome: OutcomeReplayed, upstream: true}, true
}

// report is the drift report, as Server.Drift returns it.
func (p *proxy) report() DriftReport {
	r := p.drift.report()
	r.Contract = p.cat.contractID
	if p.upstream != nil {
		r.Upstream = p.upstream.base.String()
	}
	r.Replay = p.replayFiles
	return r
}

// driftVersion changes whenever the drift report does; 0 without a proxy.
func (p *proxy) driftVersion() uint64 {
	if p == nil {
		return 0
	}
	return p.drift.version()
}

// credentialsToRedact returns the credentials of r that what the mock keeps of
// r must be without: in proxy mode, where requests that break the contract
// are forwarded and kept, r's; none otherwise (p is nil: the mock's own
// tokens are test values, and the journal keeps the body as sent).
func (p *proxy) credentialsToRedact(r *http.Request) credentials {
	if p == nil {
		return nil
	}
	return credentialsOf(r)
}

// MaxUpstreamBodyBytes bounds the body of an upstream's answer; a longer one
// gets the caller a 502 upstream_failed.
const MaxUpstreamBodyBytes = 1 << 20

// MaxUpstreamExchanges bounds the exchanges with the upstream at once, and
// with them the answers held in memory (at most 64 MiB of bodies). A request
// past it waits for its turn within Options.UpstreamTimeout.
const MaxUpstreamExchanges = 64

// upstreamBudget is what Latency, LatencyJitter and UpstreamTimeout may add
// up to: a request may take ReadTimeout to arrive and must be answered
// within WriteTimeout.
const upstreamBudget = WriteTimeout - ReadTimeout - 5*time.Second

// Outcomes in proxy mode.
const (
	// OutcomeProxied is an answer that came from the upstream, whatever its
	// status; Entry.Upstream says more.
	OutcomeProxied = "proxied"
	// OutcomeUpstreamFailed: the upstream could not be reached, reset the
	// connection, or answered with something that is not HTTP (502).
	OutcomeUpstreamFailed = "upstream_failed"
	// OutcomeUpstreamTimeout: the upstream did not answer within
	// Options.UpstreamTimeout (504).
	OutcomeUpstreamTimeout = "upstream_timeout"
	// OutcomeReplayed is an answer served from a record (Options.Replay),
	// whatever its status; Entry.Upstream says more.
	OutcomeReplayed = "replayed"
)

// upstream is the real API the mock forwards to.
type upstream struct {
	base    *url.URL // scheme and host, and a path prefix without a trailing slash
	client  *http.Client
	timeout time.Duration
	// turns holds a token for each exchange under way: at most
	// MaxUpstreamExchanges.
	turns chan struct{}
	// recent are the credentials of the latest exchanges, which
	// Server.LogWriter redacts: the Transport may quote them after the
	// exchange has ended.
	recent recentCredentials
}

// parseUpstream reads Options.Upstream: an http or https URL with a host and
// at most a path prefix. Plain http needs a loopback host or allowHTTP.
// What is wrong is said without repeating the URL, which may hold a
// password.
func parseUpstream(raw string, allowHTTP bool) (u *url.URL, problem string) {
	u, err := url.Parse(raw)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		return nil, "must be a URL such as https://api-staging.withbenji.com: " + ue.Err.Error()
	case err != nil:
		return nil, "must be a URL such as https://api-staging.withbenji.com"
	case u.User != nil:
		return nil, "must not carry credentials: the caller's Authorization header is forwarded"
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Sprintf("must be an https (or http) URL such as https://api-staging.withbenji.com, got scheme %q", cutString(u.Scheme, 16))
	case u.Host == "" || u.Hostname() == "":
		return nil, "must name a host, as in https://api-staging.withbenji.com"
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, "must not have a query or a fragment"
	case u.Scheme == "http" && !allowHTTP && !loopbackHost(u.Hostname()):
		return nil, fmt.Sprintf("%q is plain http on a host that is not a loopback address: the bearer token would cross the network in clear text; use https, or allow it (UpstreamAllowHTTP, --upstream-allow-http)", cutString(u.Host, 64))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, ""
}

// loopbackHost reports whether host is "localhost" or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newUpstream prepares the client that talks to o.Upstream, which
// withDefaults has checked.
func newUpstream(o Options) (*upstream, error) {
	base, problem := parseUpstream(o.Upstream, o.UpstreamAllowHTTP)
	if problem != "" {
		return nil, fmt.Errorf("%w: Upstream %s", ErrInvalidOptions, problem)
	}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     &tls.Config{RootCAs: o.UpstreamRootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: upstreamHandshakeTimeout, // through a proxy (HTTPS_PROXY)
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		// Shorter than the idle timeout of the load balancers in front of
		// most APIs (60 s): a POST sent on a connection the other end has
		// just closed cannot be retried by the transport.
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: MaxHeaderBytes,
	}
	hopDialers(transport)
	return &upstream{
		base: base,
		client: &http.Client{
			Transport: transport,
			// A redirect is the upstream's answer, passed on as it is.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: o.UpstreamTimeout,
		turns:   make(chan struct{}, MaxUpstreamExchanges),
	}, nil
}

// forward sends the request recorded in x to the upstream and returns its
// answer as it is: status, headers (less those of one connection) and body.
// A failed exchange is the mock's 502 or 504 envelope; a caller that went
// away gets nothing.
func (p *proxy) forward(r *http.Request, x *exchange) answer {
	up := p.upstream
	x.upstream = &upstreamExchange{creds: credentialsOf(r)}
	up.recent.remember(x.upstream.creds)
	start := time.Now()
	defer func() { x.upstream.duration = time.Since(start) }()
	ctx, cancel := context.WithTimeout(r.Context(), up.timeout)
	defer cancel()
	target := *up.base
	target.Path += r.URL.Path
	target.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(ctx, r.Method, target.String(), bytes.NewReader(x.body))
	// The request goes as sent; what the mock keeps of it (the journal,
	// the record) goes without the credentials, decoded again when the
	// journal is read.
	x.keepBody(x.upstream.creds.body(x.body))
	if err != nil {
		return p.failure(r, x, err)
	}
	req.Header = endToEnd(r.Header, notForwarded)
	req.Header[RequestIDHeader] = []string{x.requestID}
	x.upstream.requestHeader = req.Header
	select {
	case up.turns <- struct{}{}:
		defer func() { <-up.turns }()
	case <-ctx.Done():
		return p.failure(r, x, fmt.Errorf("waiting for one of the %d exchanges with the upstream to end: %w", MaxUpstreamExchanges, ctx.Err()))
	}
	var conn *hopConn
	resp, err := up.client.Do(req.WithContext(traceHopConn(ctx, &conn)))
	if err != nil {
		return p.failure(r, x, err)
	}
	hop := conn.connectionNames() // before the body is read and the connection reused
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		// A 1xx the transport did not handle itself (101 Switching
		// Protocols) hands over the connection, whose reads no context
		// ends: it cannot be passed on.
		return p.failure(r, x, fmt.Errorf("it answered %s, which a proxy of this API cannot pass on", cutString(x.upstream.creds.text(resp.Status), 64)))
	}
	body, err := readBody(resp.Body, resp.ContentLength, MaxUpstreamBodyBytes)
	switch {
	case err != nil:
		return p.failure(r, x, fmt.Errorf("reading the answer's body: %w", err))
	case len(body) > MaxUpstreamBodyBytes:
		return p.failure(r, x, fmt.Errorf("the answer's body is over %d bytes", MaxUpstreamBodyBytes))
	}
	header := passedBack(resp.Header)
	for _, name := range hop {
		delete(header, name)
	}
	x.upstream.status = resp.StatusCode
	if id := headerValue(resp.Header, RequestIDHeader); id != x.requestID {
		x.upstream.requestID = cutString(x.upstream.creds.text(id), maxFieldBytes)
	}
	return answer{status: resp.StatusCode, header: header, body: body, outcome: OutcomeProxied, upstream: true}
}

// failure is the answer to a request the upstream did not answer:
// 504 upstream_timeout past Options.UpstreamTimeout, 502 upstream_failed
// otherwise, or nothing when the caller has gone away.
func (p *proxy) failure(r *http.Request, x *exchange, err error) answer {
	if r.Context().Err() != nil {
		x.upstream.failure = "the caller went away"
		return answer{drop: true, outcome: OutcomeDropped}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is the upstream's, said once below
	}
	if errors.Is(err, context.DeadlineExceeded) {
		x.upstream.failure = fmt.Sprintf("no answer within %s", p.upstream.timeout)
		return errorAnswer(http.StatusGatewayTimeout, OutcomeUpstreamTimeout,
			fmt.Sprintf("The upstream %s did not answer within %s.", p.upstream.base.Host, p.upstream.timeout)).asGateway()
	}
	x.upstream.failure = cutString(x.upstream.creds.text(err.Error()), maxPathBytes)
	return errorAnswer(http.StatusBadGateway, OutcomeUpstreamFailed,
		fmt.Sprintf("The upstream %s failed: %s.", p.upstream.base.Host, x.upstream.failure)).asGateway()
}

// upstreamExchange is what the request's record keeps of the exchange with
// the upstream.
type upstreamExchange struct {
	status   int
	duration time.Duration
	failure  string // why the exchange failed; "" when it did not
	// requestHeader is what was forwarded, credentials included: the
	// record leaves those out.
	requestHeader http.Header
	// requestID is the upstream's X-Request-Id, when it differs from the
	// one forwarded.
	requestID string
	// creds are the request's credentials, taken out of everything kept
	// of the exchange. Never written anywhere.
	creds credentials
	// header is the answer's, credentials redacted.
	header http.Header
	// body is the upstream's body with the bearer token redacted: what is
	// kept (the caller gets the body as it came).
	body       []byte
	departures []contract.Departure
	omitted    int
	// replayed says the answer came from the record, not the upstream;
	// recorded is where ("file:line").
	replayed bool
	recorded string
}

// answer makes the journal's view of the exchange, within its bounds.
func (u *upstreamExchange) answer() *UpstreamAnswer {
	a := &UpstreamAnswer{Status: u.status, RequestID: u.requestID, Duration: u.duration, Error: u.failure, DriftOmitted: u.omitted,
		Replayed: u.replayed, Recorded: u.recorded}
	if len(u.body) > 0 {
		a.Body = cutString(string(u.body[:min(len(u.body), maxEntryUpstreamBody)]), maxEntryUpstreamBody)
		a.Truncated = len(a.Body) != len(u.body)
	}
	a.Header = headersThatMatter(u.header, u.departures)
	for i, d := range u.departures {
		if i == maxEntryDepartures {
			a.DriftOmitted += len(u.departures) - i
			break
		}
		a.Drift = append(a.Drift, cutDeparture(d))
	}
	return a
}

// cutDeparture bounds a departure once JSON-encoded: an answer's keys and
// values are the upstream's text.
func cutDeparture(d contract.Departure) Departure {
	return Departure{Kind: d.Kind, Where: cutString(d.Where, maxFieldBytes), Rule: cutString(d.Rule, 200), Got: cutString(d.Got, 64)}
}

// checkAnswer is step 5 for an answer that came from the upstream:
// it is passed on as it is, and every way it departs from the contract is
// recorded on the request's record, logged at warn level and added to the
// drift report. The request's credentials are taken out of the answer
// before it is checked, so that nothing kept holds them.
func (p *proxy) checkAnswer(r *http.Request, x *exchange, a answer) {
	u := x.upstream
	u.header, u.body = u.creds.header(a.header), u.creds.body(a.body)
	if len(u.body) > bigBody {
		// As for a request: checking a large body decodes it, which takes
		// many times its size.
		release, ok := p.bigChecks.take(r.Context())
		if !ok {
			return // the caller is gone and will not get the answer
		}
		defer release()
	}
	u.departures, u.omitted = p.cat.contract.CheckAnswer(a.status, u.header, u.body)
	id := u.creds.text(x.requestID) // a caller may send its token as its request id
	p.drift.add(a.status, u.departures, u.omitted, id, u.requestID, time.Now())
	if len(u.departures) == 0 {
		if a.status == http.StatusOK {
			// The token the upstream issued, for RequestForToken.
			var created gen.TokenCreated
			if json.Unmarshal(a.body, &created) == nil {
				x.token = created.Data.Token
			}
		}
		return
	}
	if h := p.log.Handler(); h.Enabled(context.Background(), slog.LevelWarn) {
		listed := make([]string, 0, min(len(u.departures), maxEntryDepartures))
		for _, d := range u.departures[:cap(listed)] {
			listed = append(listed, cutDeparture(d).String())
		}
		attrs := []any{"request_id", id, "status", a.status, "departures", listed}
		if n := len(u.departures) - len(listed) + u.omitted; n > 0 {
			attrs = append(attrs, "departures_omitted", n)
		}
		msg := "the upstream's answer departs from the contract"
		if u.replayed {
			msg = "the replayed answer departs from the contract"
			attrs = append(attrs, "recorded", u.recorded)
		}
		p.log.Warn(msg, attrs...)
	}
}

// notForwarded lists request headers that stay with the mock: Prefer is the
// mock's own; the transport negotiates the encoding (and decodes the answer)
// and sets the length; the request id is the journal's.
var notForwarded = map[string]bool{
	"Host":            true,
	"Prefer":          true,
	"Accept-Encoding": true,
	"Content-Length":  true,
	RequestIDHeader:   true,
}

// notPassedBack lists answer headers that stay with the mock: the mock
// sets the length of what it writes; and no cookie of the upstream's may
// reach the mock's origin, where the inspector's session cookie lives (a
// partner's server calling the API has no use for one).
var notPassedBack = map[string]bool{"Content-Length": true, "Set-Cookie": true}

// passedBack is what the mock sends of an answer's headers h (the
// upstream's, or a recorded one): h less the headers of one connection and
// notPassedBack, and no Content-Type where h has none (net/http would guess
// one).
func passedBack(h http.Header) http.Header {
	header := endToEnd(h, notPassedBack)
	if _, ok := header["Content-Type"]; !ok {
		header["Content-Type"] = nil
	}
	return header
}

// endToEnd copies h less the headers of one connection and those in skip,
// as a proxy passes a message on; the values are shared, not copied.
func endToEnd(h http.Header, skip map[string]bool) http.Header {
	out := make(http.Header, len(h)+1)
	for name, values := range h {
		if !hopByHop(name, h) && !skip[name] {
			out[name] = values
		}
	}
	return out
}

// hopByHop reports whether a header belongs to one connection (RFC 9110
// section 7.6.1) rather than to the message: those a proxy drops.
func hopByHop(name string, h http.Header) bool {
	switch name {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	for _, v := range h["Connection"] {
		for _, listed := range strings.Split(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(listed)) == name {
				return true
			}
		}
	}
	return false
}

// proxiedCSP is the Content-Security-Policy every proxied answer carries,
// beside any the upstream sent (a browser enforces each of them): whatever
// the upstream answered, a browser runs no script of it, loads nothing for
// it and frames it nowhere, on the mock's origin.
const proxiedCSP = "sandbox; default-src 'none'; frame-ancestors 'none'"

// nosniff keeps a browser from reading an answer as anything but the
// Content-Type it says; shared and never modified.
var nosniff = []string{"nosniff"}

// sandbox adds to h, the headers of an upstream's answer as written, what
// keeps it from acting on the mock's origin. h's own CSP values are copied,
// not appended to: they may be shared with the upstream's.
func sandbox(h http.Header) {
	h["X-Content-Type-Options"] = nosniff
	h["Content-Security-Policy"] = append(slices.Clip(h["Content-Security-Policy"]), proxiedCSP)
}
