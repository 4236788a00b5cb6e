package mockserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// In proxy mode (Options.Upstream), the last step of deciding an answer
// forwards the request to the real API and takes its answer as it is. The
// exchange is recorded on the request's record: the journal, the log, the
// drift report and the record file are made from it.

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
func (s *Server) forward(r *http.Request, x *exchange) answer {
	up := s.upstream
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
		return s.upstreamFailure(r, x, err)
	}
	req.Header = endToEnd(r.Header, notForwarded)
	req.Header[RequestIDHeader] = []string{x.requestID}
	x.upstream.requestHeader = req.Header
	select {
	case up.turns <- struct{}{}:
		defer func() { <-up.turns }()
	case <-ctx.Done():
		return s.upstreamFailure(r, x, fmt.Errorf("waiting for one of the %d exchanges with the upstream to end: %w", MaxUpstreamExchanges, ctx.Err()))
	}
	var conn *hopConn
	resp, err := up.client.Do(req.WithContext(traceHopConn(ctx, &conn)))
	if err != nil {
		return s.upstreamFailure(r, x, err)
	}
	hop := conn.connectionNames() // before the body is read and the connection reused
	defer resp.Body.Close()
	if resp.StatusCode < 200 {
		// A 1xx the transport did not handle itself (101 Switching
		// Protocols) hands over the connection, whose reads no context
		// ends: it cannot be passed on.
		return s.upstreamFailure(r, x, fmt.Errorf("it answered %s, which a proxy of this API cannot pass on", cutString(x.upstream.creds.text(resp.Status), 64)))
	}
	body, err := readBody(resp.Body, resp.ContentLength, MaxUpstreamBodyBytes)
	switch {
	case err != nil:
		return s.upstreamFailure(r, x, fmt.Errorf("reading the answer's body: %w", err))
	case len(body) > MaxUpstreamBodyBytes:
		return s.upstreamFailure(r, x, fmt.Errorf("the answer's body is over %d bytes", MaxUpstreamBodyBytes))
	}
	header := endToEnd(resp.Header, notPassedBack)
	for _, name := range hop {
		delete(header, name)
	}
	if _, ok := header["Content-Type"]; !ok {
		header["Content-Type"] = nil // none, as sent: net/http would guess one
	}
	x.upstream.status = resp.StatusCode
	if id := headerValue(resp.Header, RequestIDHeader); id != x.requestID {
		x.upstream.requestID = cutString(x.upstream.creds.text(id), maxFieldBytes)
	}
	return answer{status: resp.StatusCode, header: header, body: body, outcome: OutcomeProxied, upstream: true}
}

// upstreamFailure is the answer to a request the upstream did not answer:
// 504 upstream_timeout past Options.UpstreamTimeout, 502 upstream_failed
// otherwise, or nothing when the caller has gone away.
func (s *Server) upstreamFailure(r *http.Request, x *exchange, err error) answer {
	if r.Context().Err() != nil {
		x.upstream.failure = "the caller went away"
		return answer{drop: true, outcome: OutcomeDropped}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is the upstream's, said once below
	}
	if errors.Is(err, context.DeadlineExceeded) {
		x.upstream.failure = fmt.Sprintf("no answer within %s", s.upstream.timeout)
		return s.errorAnswer(http.StatusGatewayTimeout, OutcomeUpstreamTimeout,
			fmt.Sprintf("The upstream %s did not answer within %s.", s.upstream.base.Host, s.upstream.timeout)).asGateway()
	}
	x.upstream.failure = cutString(x.upstream.creds.text(err.Error()), maxPathBytes)
	return s.errorAnswer(http.StatusBadGateway, OutcomeUpstreamFailed,
		fmt.Sprintf("The upstream %s failed: %s.", s.upstream.base.Host, x.upstream.failure)).asGateway()
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
