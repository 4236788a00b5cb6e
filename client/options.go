package client

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Option configures a Client.
type Option func(*Client) error

// WithBaseURL points the client at another server, such as benji-mock
// ("http://localhost:4010").
func WithBaseURL(base string) Option {
	return func(c *Client) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("base URL %q: want http(s)://host[:port]", base)
		}
		c.baseURL = strings.TrimSuffix(base, "/")
		return nil
	}
}

// WithHTTPClient sends requests through hc, for instance one whose transport
// adds tracing. Its Timeout, if set, bounds each attempt too. Its
// CheckRedirect is not used: the client follows no redirect (see APIError's
// Location) and works on a copy of hc, which is left as it was given.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		c.http = hc
		return nil
	}
}

// WithTransport sends requests through rt in an otherwise default client.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) error {
		if rt == nil {
			return errors.New("nil http.RoundTripper")
		}
		c.http = &http.Client{Transport: rt}
		return nil
	}
}

// WithTimeout bounds each attempt; the default is DefaultTimeout. The
// context given to CreateToken bounds the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("timeout must be positive, got %s", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetryPolicy sets how failed attempts are retried.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 {
			return fmt.Errorf("retry policy %+v has a negative field", p)
		}
		c.retry = p
		return nil
	}
}

// WithoutRetries sends each request once.
func WithoutRetries() Option {
	return WithRetryPolicy(RetryPolicy{MaxAttempts: 1})
}

// WithUserAgent appends suffix ("my-service/1.2") to the User-Agent.
func WithUserAgent(suffix string) Option {
	return func(c *Client) error {
		if suffix = strings.TrimSpace(suffix); suffix != "" {
			c.userAgent += " " + suffix
		}
		return nil
	}
}

// WithLogger logs retries to l. The client is silent by default, and never
// logs the partner access token.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l == nil {
			return errors.New("nil *slog.Logger")
		}
		c.log = l
		return nil
	}
}

// WithRequestCheck has check look at each encoded request body before it is
// sent: a request it finds fault with fails at once with a *ValidationError
// naming the fields, without a network call. The contract's own check is
// contractcheck.Option() (package client/contractcheck), kept out of this
// package so that services that do not want it do not build the OpenAPI
// library it needs.
//
// No check runs by default: the contract is stricter than Benji's reference
// in places (an action's mode must be Transfer or Redeem, its amount a
// positive whole number), and the client should not refuse what the real
// API might accept. Turn it on in development and tests, where the contract
// is the law; benji-mock enforces it regardless.
func WithRequestCheck(check func(body []byte) []FieldError) Option {
	return func(c *Client) error {
		if check == nil {
			return errors.New("WithRequestCheck: the check is nil")
		}
		c.check = check
		return nil
	}
}
