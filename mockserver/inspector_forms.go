package mockserver

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The inspector's forms post (application/x-www-form-urlencoded) to small
// endpoints that call the same Server methods as the Go handles and the
// admin API, and answer 303 back to the page. A form posted from another
// site's page is refused (403) before anything else: with the admin API
// open, nothing else would stop a page the developer visits from queuing
// faults or emptying the journal.

// faultForm holds the fault form's values as given, to fill the form in
// again when the fault is refused. Its names are the admin API's keys.
type faultForm struct {
	Status, Example, Delay, RetryAfter, Times string
	Drop, Reset                               bool
	UserExternalID, DisplayName               string
	Mode, PartnershipID                       string
}

// formPost checks a form post: that it comes from the mock's own pages,
// that the admin token allows it (unless open is set), and that it is a
// form within MaxAdminBodyBytes. It returns the form, or the refusal.
func (in *inspector) formPost(r *http.Request, open bool) (url.Values, answer, bool) {
	if outcome, why := in.guard.refusal(r); outcome != "" {
		return nil, in.message(http.StatusForbidden, outcome, why), false
	}
	if !open {
		allowed, wait := in.guard.access(r)
		if wait > 0 {
			return nil, in.throttledLogin(wait), false
		}
		if !allowed {
			return nil, in.login(http.StatusUnauthorized, ""), false
		}
	}
	if mt, _, err := mime.ParseMediaType(headerValue(r.Header, "Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, in.message(http.StatusUnsupportedMediaType, OutcomeUnsupportedMediaType,
			"Send the form as application/x-www-form-urlencoded."), false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxAdminBodyBytes+1))
	switch {
	case err != nil:
		return nil, in.message(http.StatusBadRequest, OutcomeUnreadableBody, "The form could not be read."), false
	case len(body) > MaxAdminBodyBytes:
		return nil, in.message(http.StatusRequestEntityTooLarge, OutcomePayloadTooLarge,
			fmt.Sprintf("A form may be at most %d bytes.", MaxAdminBodyBytes)), false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, in.message(http.StatusBadRequest, OutcomeInvalidFault, "The form is not valid: "+cutString(err.Error(), maxMessageBytes)+"."), false
	}
	return form, answer{}, true
}

// backToPage answers 303 to the inspector's page.
func (in *inspector) backToPage() answer {
	return answer{status: http.StatusSeeOther, header: in.htmlHeader, outcome: OutcomeOK}.withHeader("Location", inspectorPath)
}

// queueFault answers the fault form: the fault queued and 303 to
// the page, or the page again with the fault's error and the form as sent.
func (in *inspector) queueFault(r *http.Request, _ *exchange) answer {
	form, refusal, ok := in.formPost(r, false)
	if !ok {
		return refusal
	}
	given := faultForm{
		Status: form.Get("status"), Example: form.Get("example"), Delay: form.Get("delay"),
		RetryAfter: form.Get("retry_after"), Times: form.Get("times"),
		Drop: form.Get("drop") != "", Reset: form.Get("reset") != "",
		UserExternalID: form.Get("match.user_external_id"), DisplayName: form.Get("match.display_name"),
		Mode: form.Get("match.mode"), PartnershipID: form.Get("match.partnership_id"),
	}
	f, err := given.fault()
	if err == nil {
		_, err = in.srv.queueFault(f)
	}
	if err == nil {
		return in.backToPage()
	}
	release, ok := in.renders.tryTake()
	if !ok {
		return in.busy()
	}
	defer release()
	v, _ := in.pageView(url.Values{})
	v.Fault, v.FaultError = given.cut(), faultRefusal(err)
	a := in.render("page", http.StatusBadRequest, v)
	a.outcome = OutcomeInvalidFault
	return a
}

// fault reads the form as the admin API reads its JSON (Fault.fields,
// Match.fields): the same names, the same rules, an empty field left out.
func (g faultForm) fault() (Fault, error) {
	checked := map[bool]string{true: "on"}
	values := map[string]string{
		"status": g.Status, "example": g.Example, "delay": g.Delay, "retry_after": g.RetryAfter, "times": g.Times,
		"drop": checked[g.Drop], "reset": checked[g.Reset],
		"match.user_external_id": g.UserExternalID, "match.display_name": g.DisplayName,
		"match.mode": g.Mode, "match.partnership_id": g.PartnershipID,
	}
	return faultFromText(func(name string) string { return values[name] })
}

// cut bounds what the page shows again of a refused form.
func (g faultForm) cut() faultForm {
	for _, p := range []*string{&g.Status, &g.Example, &g.Delay, &g.RetryAfter, &g.Times, &g.UserExternalID, &g.DisplayName, &g.Mode, &g.PartnershipID} {
		*p = cutString(*p, maxStringBytes)
	}
	return g
}

// button answers one of the page's buttons (clear the faults, the
// journal, the drift report): do, then back to the page.
func (in *inspector) button(do func()) func(*http.Request, *exchange) answer {
	return func(r *http.Request, _ *exchange) answer {
		if _, refusal, ok := in.formPost(r, false); !ok {
			return refusal
		}
		do()
		return in.backToPage()
	}
}

// signIn answers the token form: with the admin token, it sets
// the session cookie (HttpOnly, SameSite=Strict, for /__mock only) and
// answers 303 to the page. The token travels in the form's body, never in
// a URL, and is never logged.
func (in *inspector) signIn(r *http.Request, _ *exchange) answer {
	form, refusal, ok := in.formPost(r, true)
	if !ok {
		return refusal
	}
	if !in.guard.closed() {
		return in.backToPage()
	}
	session, wait := in.guard.signIn(form.Get("token"))
	switch {
	case wait > 0:
		return in.throttledLogin(wait)
	case session == "":
		return in.login(http.StatusUnauthorized, "That is not the admin token.")
	}
	return in.backToPage().withHeader("Set-Cookie", in.sessionCookie(r, session, int(sessionLifetime/time.Second)).String())
}

// signOut answers the "sign out" button: from a signed-in browser
// it ends every session of this mock, not only the browser's copy of its
// cookie; from anyone else it only deletes the cookie.
func (in *inspector) signOut(r *http.Request, _ *exchange) answer {
	if _, refusal, ok := in.formPost(r, true); !ok {
		return refusal
	}
	in.guard.signOut(r)
	return in.backToPage().withHeader("Set-Cookie", in.sessionCookie(r, "", -1).String())
}

// sessionCookie is the inspector's session cookie with value; maxAge -1
// deletes it.
func (in *inspector) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     adminPrefix,
		MaxAge:   maxAge,
		HttpOnly: true,
		// Behind a proxy that ends TLS, the request itself is plain http.
		Secure:   r.TLS != nil || strings.EqualFold(headerValue(r.Header, "X-Forwarded-Proto"), "https"),
		SameSite: http.SameSiteStrictMode,
	}
}
