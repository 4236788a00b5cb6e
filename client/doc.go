// Package client creates Benji Connect tokens from a partner's Go service.
//
// A partner's server calls Benji with its partner access token and gets back
// a short-lived token that initialises the Benji Connect SDK in its app:
//
//	c, err := client.New(os.Getenv("BENJI_PARTNER_TOKEN"))
//	if err != nil { ... }
//	tok, err := c.CreateToken(ctx, client.Request{Mode: client.Connect, DisplayName: "Reward Cookies"})
//	if err != nil { ... }
//	// hand tok.Value to the app
//
// Failures Benji answers are *APIError values (errors.As), with helpers for
// the cases callers branch on: IsUnauthorized, IsRateLimited,
// IsInvalidRequest. Rate limits, gateway errors and lost connections are
// retried with exponential backoff and jitter (see RetryPolicy). The partner
// access token never appears in an error, a log line or a printed Client,
// and is sent to the base URL only: a redirect is not followed but returned
// as an *APIError naming its Location.
//
// The package builds nothing but the generated models and HTTP client on top
// of the standard library: no server framework, no OpenAPI library. To check
// requests against the contract before sending them, opt in with package
// client/contractcheck: client.New(token, contractcheck.Option()).
//
// For tests, point the client at benji-mock:
//
//	ts := mockserver.NewTestServer(t)
//	c, _ := client.New("any-token", client.WithBaseURL(ts.URL))
package client
