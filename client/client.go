package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/benjiconnect/benji/gen"
	"github.com/benjiconnect/benji/internal/buildversion"
)

// StagingURL is Benji's staging API, the server the reference names.
const StagingURL = "https://api-staging.withbenji.com"

// Version is a fixed string this package's source once sent as its version.
//
// Deprecated: nothing keeps it in step with releases; the User-Agent now
// carries the module version the binary was built with (UserAgent). It is
// kept so that code referring to it still builds.
const Version = "0.1.0"

// UserAgent is the User-Agent header the client sends before any
// WithUserAgent suffix: "benji-go/" and the module version this binary was
// built with (v1.2.0 as a dependency, a pseudo-version from a checkout, the
// image's VERSION in the Docker build, "devel" where Go recorded none).
func UserAgent() string { return "benji-go/" + buildversion.Current() }

// RequestIDHeader is the response header whose value APIError and Token
// carry as RequestID.
const RequestIDHeader = "X-Request-Id"

// Defaults used when no option says otherwise.
const (
	DefaultTimeout = 10 * time.Second
	// maxResponseBytes bounds what is read of an answer: a token answer is
	// under 100 bytes, and an HTML error page needs no more to be quoted.
	maxResponseBytes = 1 << 20
)

// Client creates Benji Connect tokens. It is safe for concurrent use; build
// one per partner access token and share it.
type Client struct {
	// token is behind a pointer: fmt prints a nested pointer as an
	// address, so even a copy of the Client (fmt.Sprintf("%+v", *c),
	// where no method of Client or secret is called) shows no token.
	token     *secret
	baseURL   string
	http      *http.Client
	timeout   time.Duration
	retry     RetryPolicy
	userAgent string
	log       *slog.Logger
	check     func(body []byte) []FieldError // nil: none
	api       *gen.Client
	// wait sleeps between attempts; tests replace it.
	wait func(ctx context.Context, d time.Duration) error
}

// New returns a client that authenticates with partnerToken, the partner
// access token Benji issued. It talks to StagingURL unless WithBaseURL says
// otherwise. A missing token or a bad option is an error here, not at the
// first call.
func New(partnerToken string, opts ...Option) (*Client, error) {
	if partnerToken == "" {
		return nil, errors.New("benji: new client: the partner access token is empty")
	}
	c := &Client{
		token:     newSecret(partnerToken),
		baseURL:   StagingURL,
		timeout:   DefaultTimeout,
		userAgent: UserAgent(),
		log:       slog.New(slog.DiscardHandler),
		wait:      sleep,
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("benji: new client: %w", err)
		}
	}
	if c.http == nil {
		// No overall timeout here: each attempt gets its own deadline.
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c.http = withoutRedirects(c.http)
	api, err := gen.NewClient(c.baseURL, gen.WithHTTPClient(c.http), gen.WithRequestEditorFn(c.authorize))
	if err != nil {
		return nil, fmt.Errorf("benji: new client: %w", err)
	}
	c.api = api
	return c, nil
}

// String describes the client without its token.
func (c *Client) String() string { return "benji.Client(" + c.baseURL + ")" }

// GoString is String, so that %#v does not print the token either.
func (c *Client) GoString() string { return c.String() }

func (c *Client) authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+string(*c.token))
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	return nil
}

// Token is a created Connect token and what came with it.
type Token struct {
	// Value initialises the Benji Connect SDK: the token as the API sent
	// it, byte for byte once its JSON string is decoded. The contract
	// documents a UUID; the client does not insist on one.
	Value string
	// StatusCode is the HTTP status of the answer (200).
	StatusCode int
	// RequestID is the answer's X-Request-Id, when it had one.
	RequestID string
	// Attempts counts the requests sent, retries included.
	Attempts int
}

// CreateToken creates a token that initialises the Benji Connect SDK for the
// flow req describes. Failed attempts are retried by the client's
// RetryPolicy; creating a token twice is harmless (an unused token simply
// expires), which is why this POST is retried.
//
// Token.Value is the token exactly as the API sent it. A redirect is not
// followed, so that the partner access token goes nowhere but the base URL:
// it is an *APIError with the 3xx status and its Location, and is not
// retried.
//
// A failure is an *APIError when Benji answered, a *ValidationError when the
// client's own check (WithRequestCheck) refused req, and otherwise a
// transport error, for which errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, context.Canceled) work as usual.
func (c *Client) CreateToken(ctx context.Context, req Request) (*Token, error) {
	body, err := req.encode()
	if err != nil {
		return nil, fmt.Errorf("benji: create token: encode request: %w", err)
	}
	if c.check != nil {
		if fields := c.check(body); len(fields) > 0 {
			return nil, &ValidationError{Fields: fields}
		}
	}
	for attempt := 1; ; attempt++ {
		tok, retryAfter, err := c.attempt(ctx, body)
		if err == nil {
			tok.Attempts = attempt
			return tok, nil
		}
		if attempt >= c.retry.attempts() || !retryable(ctx, err) {
			return nil, c.finalError(err, attempt)
		}
		wait := c.retry.backoff(attempt, retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would outlast the caller's deadline: stop now.
			return nil, c.finalError(err, attempt)
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "benji: retrying create token",
			slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("reason", reason(err)))
		if werr := c.wait(ctx, wait); werr != nil {
			return nil, c.finalError(errors.Join(err, werr), attempt)
		}
	}
}

func (c *Client) finalError(err error, attempts int) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.Attempts = attempts
		return apiErr
	}
	return fmt.Errorf("benji: create token (attempt %d): %w", attempts, err)
}

// attempt sends one request. It returns the token, or an error together with
// the wait the server asked for (zero when it did not).
func (c *Client) attempt(ctx context.Context, body []byte) (*Token, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.api.CreateTokenWithBody(actx, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, 0, unwrapURLError(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	// An answer may echo the partner token (a proxy's error page, say):
	// it is taken out before anything is quoted or cut.
	raw = c.token.scrub(raw)
	requestID := resp.Header.Get(RequestIDHeader)
	if err != nil {
		if resp.StatusCode != http.StatusOK {
			// The status arrived before the connection broke: it decides
			// whether to retry, as for any answer.
			apiErr := newAPIError(resp, raw, c.token, requestID, fmt.Sprintf("the %d answer was cut after %d bytes: %v", resp.StatusCode, len(raw), err))
			return nil, apiErr.RetryAfter, apiErr
		}
		// A 200 whose token never arrived: lost, like a dropped answer.
		return nil, 0, fmt.Errorf("read %d answer: %w", resp.StatusCode, err)
	}
	if resp.StatusCode == http.StatusOK {
		var ok tokenAnswer
		if err := json.Unmarshal(raw, &ok); err != nil || ok.Code != gen.Ok || ok.Data.Token == "" {
			return nil, 0, newAPIError(resp, raw, c.token, requestID, fmt.Sprintf("the 200 answer holds no token: %.200q", raw))
		}
		return &Token{Value: ok.Data.Token, StatusCode: resp.StatusCode, RequestID: requestID}, 0, nil
	}
	apiErr := newAPIError(resp, raw, c.token, requestID, "")
	return nil, apiErr.RetryAfter, apiErr
}

// tokenAnswer is the success envelope (gen.TokenCreated) with the token as
// a string. The generated type decodes it as a UUID, which would refuse a
// token of another shape ("tok_live_42") and rewrite an upper-case or
// braced one: the client hands on the token exactly as the API sent it, and
// leaves calling a departure from the contract to the mock's drift report.
type tokenAnswer struct {
	Code gen.TokenCreatedCode `json:"code"`
	Data struct {
		Token string `json:"token"`
	} `json:"data"`
}

// withoutRedirects returns a copy of hc that hands back a redirect (a 3xx)
// as it came instead of following it. net/http copies Authorization to a
// redirect's target whenever the host names match, ports and scheme aside
// (shouldCopyHeaderOnRedirect), and the partner access token must go to the
// base URL only. The caller's client is left as given: the rest of their
// service may rely on its CheckRedirect.
func withoutRedirects(hc *http.Client) *http.Client {
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &own
}

// unwrapURLError drops net/http's *url.Error layer, whose text repeats the
// method and URL, and keeps what failed.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("POST %s: %w", ue.URL, ue.Err)
	}
	return err
}

func reason(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return http.StatusText(apiErr.StatusCode)
	}
	return err.Error()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// secret holds the partner access token; every way of printing it hides it.
type secret string

func newSecret(s string) *secret { return (*secret)(&s) }

// minScrubBytes is the shortest partner token that scrub takes out of
// answers: a shorter one would match ordinary text and garble it.
const minScrubBytes = 8

// scrub returns b with the partner token replaced by [REDACTED] in each
// form an answer may echo it: as sent, JSON-escaped ("/" as "\/") and
// URL-escaped. b itself when it holds none.
func (s *secret) scrub(b []byte) []byte {
	token := string(*s)
	if len(token) < minScrubBytes {
		return b
	}
	for _, form := range []string{token, strings.ReplaceAll(token, "/", `\/`), url.QueryEscape(token), url.PathEscape(token)} {
		if bytes.Contains(b, []byte(form)) {
			b = bytes.ReplaceAll(b, []byte(form), []byte("[REDACTED]"))
		}
	}
	return b
}

// scrubString is scrub for a string.
func (s *secret) scrubString(v string) string { return string(s.scrub([]byte(v))) }

func (secret) String() string               { return "[REDACTED]" }
func (secret) GoString() string             { return "[REDACTED]" }
func (secret) LogValue() slog.Value         { return slog.StringValue("[REDACTED]") }
func (secret) MarshalText() ([]byte, error) { return []byte("[REDACTED]"), nil }
