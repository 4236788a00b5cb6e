package mockserver

import (
	"net/http"
	"slices"
)

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
