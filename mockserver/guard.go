package mockserver

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// guard holds what the admin API and the inspector both guard with: the
// admin token (checked through a throttle), the inspector's sessions, the
// Host check of an open admin API and the cross-origin rule, which the API
// applies too. The admin API and the inspector each ask it; neither asks
// the other.
type guard struct {
	// token is Options.AdminToken; "" leaves the admin API open.
	token string
	// hosts are Options.AdminHosts.
	hosts []string
	// guesses checks admin tokens and slows wrong ones.
	guesses *guessThrottle
	// sessions signs and checks the inspector's session cookies; nil
	// without an admin token.
	sessions    *sessions
	crossOrigin *http.CrossOriginProtection
}

func newGuard(token string, hosts []string) *guard {
	g := &guard{
		token:       token,
		hosts:       hosts,
		guesses:     newGuessThrottle(token),
		crossOrigin: http.NewCrossOriginProtection(),
	}
	if token != "" {
		g.sessions = newSessions()
	}
	return g
}

// refusal keeps web pages out of the admin API and the inspector, which
// a browser on the developer's machine can reach:
//   - a request that changes something must come from the mock's own pages
//     (http.CrossOriginProtection, by Sec-Fetch-Site or Origin): curl and
//     Go clients send neither header and pass; another site's page, which
//     may post a fault as text/plain without asking, does not (403);
//   - without an admin token, the Host must be one no web page can point
//     its own name at (DNS rebinding): an IP address, localhost, a name
//     without a dot (a compose service), or one of Options.AdminHosts
//     (403 otherwise). With a token, the token protects.
//
// It returns the refusal's outcome and why, for a 403; "" lets r through.
func (g *guard) refusal(r *http.Request) (outcome, why string) {
	if err := g.crossOrigin.Check(r); err != nil {
		return OutcomeCrossOrigin, "The admin API and the inspector refuse changes sent from another site's page (" + err.Error() + ")."
	}
	if g.token == "" && !g.openHost(r.Host) {
		return OutcomeForbiddenHost, fmt.Sprintf(
			"The admin API is open (no admin token), so it answers only requests addressed to an IP address, localhost or a name without a dot, not to %q, which a web page could point at this mock; "+
				"use one of those, allow the name (--admin-hosts), or set an admin token (--admin-token).", cutString(r.Host, 64))
	}
	return "", ""
}

// openHost reports whether host (a Host header, port included) may reach
// the open admin API: see refusal.
func (g *guard) openHost(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	lower := strings.ToLower(name)
	switch {
	case net.ParseIP(name) != nil, !strings.Contains(name, "."), lower == "localhost", strings.HasSuffix(lower, ".localhost"):
		return true
	}
	for _, allowed := range g.hosts {
		if strings.EqualFold(allowed, name) {
			return true
		}
	}
	return false
}

// access reports whether the request may use the admin API: always when
// Options.AdminToken is empty; else with that bearer token (checked by the
// throttle: wait > 0 says it was not checked), or with the inspector's
// session cookie.
func (g *guard) access(r *http.Request) (allowed bool, wait time.Duration) {
	if g.token == "" {
		return true, 0
	}
	if token, bearer := bearerToken(headerValue(r.Header, "Authorization")); bearer {
		return g.guesses.check(token, time.Now())
	}
	return g.validSession(r), 0
}

// allowed is access without the wait.
func (g *guard) allowed(r *http.Request) bool {
	allowed, _ := g.access(r)
	return allowed
}

// validSession reports whether the request carries a valid session cookie.
func (g *guard) validSession(r *http.Request) bool {
	if g.sessions == nil {
		return false
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && g.sessions.valid(c.Value, time.Now())
}

// The mock's origin (its scheme, host and port) is shared by the API, the
// admin API and the inspector, whose pages a developer's browser opens. What
// a web page elsewhere sends, or what an upstream answers in proxy mode,
// must not act there.

// crossSite refuses a browser's request sent from another site's page, by
// the rule the admin API applies (http.CrossOriginProtection: Sec-Fetch-Site,
// else Origin against Host). A partner's server, curl and Go's client send
// neither header and pass. Such a page may post a text/plain form without
// asking, which proxy mode would forward with the browser's view of the
// answer on the mock's origin; in the mock's own mode it is refused too, so
// that one rule holds: no page can reach the API, fill the journal or use
// up what was queued for a test. The page cannot read the answer anyway (the
// mock grants no CORS), so no client the contract serves loses one. The 403
// is the mock's, outside the contract, as a gateway's would be.
func (g *guard) crossSite(r *http.Request) (answer, bool) {
	err := g.crossOrigin.Check(r)
	if err == nil {
		return answer{}, false
	}
	return errorAnswer(http.StatusForbidden, OutcomeCrossOrigin,
		"The API refuses requests sent from another site's page ("+err.Error()+"); a partner's server sends neither Sec-Fetch-Site nor Origin.").asGateway(), true
}

// closed reports whether the admin API and the inspector need the admin
// token (Options.AdminToken is set).
func (g *guard) closed() bool { return g.token != "" }

// signIn checks a token given in the inspector's form, through the
// throttle, and returns a new session cookie's value when it is the admin
// token ("" when not; wait > 0 when it was not checked).
func (g *guard) signIn(token string) (session string, wait time.Duration) {
	right, wait := g.guesses.check(token, time.Now())
	if !right || g.sessions == nil {
		return "", wait
	}
	return g.sessions.issue(time.Now()), 0
}

// signOut ends every session when r may use the admin API (a signed-in
// browser); from anyone else it does nothing.
func (g *guard) signOut(r *http.Request) {
	if g.sessions != nil && g.allowed(r) {
		g.sessions.endAll()
	}
}
