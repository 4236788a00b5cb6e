package mockserver

import (
	"crypto/subtle"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Wrong admin tokens are slowed, so that the admin token cannot be guessed
// at network speed (13,000 guesses a second on the token form, 18,000 on
// the bearer header, measured before): a token bucket lets adminGuessBurst
// wrong tokens through (401), then one more each adminGuessEvery. While it
// is empty, every token given (a bearer header or the token form), the
// right one too, is answered 429 with Retry-After without being compared,
// so that the throttle never tells a guesser when a guess hit. Right
// tokens spend nothing, and a browser signed in before (its session
// cookie, which cannot be guessed) is not slowed. The bucket is one for the
// whole server, not one per client address: behind compose's network or a
// proxy every client has the same address, and a guesser can have many.
// The price is that a guesser can keep the right token out for as long as
// it guesses; the mock is a test tool, and its log shows the 429s.
const (
	// adminGuessBurst is how many wrong admin tokens are answered before
	// the throttle refuses.
	adminGuessBurst = 10
	// adminGuessEvery is how often the bucket lets one more wrong token
	// through once the burst is spent.
	adminGuessEvery = time.Second
)

// minAdminTokenBytes is the shortest admin token Serve takes without a
// warning: 16 random bytes are out of reach of any guessing, while a short
// token falls to a guesser even at adminGuessEvery. It is a warning, not a
// refusal: a test's setup may use a short token on loopback.
const minAdminTokenBytes = 16

// guessThrottle checks admin tokens against the one the server was given,
// spending its bucket on wrong ones only. It is safe for concurrent use.
type guessThrottle struct {
	token []byte
	// mu makes "is there budget, compare, spend" one step: without it,
	// guesses sent at once could all be compared on the last token.
	mu     sync.Mutex
	bucket *rate.Limiter
}

func newGuessThrottle(token string) *guessThrottle {
	return &guessThrottle{token: []byte(token), bucket: rate.NewLimiter(rate.Every(adminGuessEvery), adminGuessBurst)}
}

// check reports whether guess is the admin token. While wrong guesses have
// spent the bucket it compares nothing and returns how long until the next
// guess may be compared (wait > 0).
func (g *guessThrottle) check(guess string, now time.Time) (right bool, wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if tokens := g.bucket.TokensAt(now); tokens < 1 {
		return false, time.Duration((1 - tokens) / float64(g.bucket.Limit()) * float64(time.Second))
	}
	if subtle.ConstantTimeCompare([]byte(guess), g.token) == 1 {
		return true, 0
	}
	g.bucket.AllowN(now, 1)
	return false, 0
}

// throttledMessage says why a token was not checked, and when to try.
func throttledMessage(wait time.Duration) string {
	return "Too many wrong admin tokens: no admin token is checked, the right one neither, for the next " +
		retryAfterSeconds(wait) + " s (Retry-After)."
}

// retryAfterSeconds is wait in whole seconds for Retry-After, rounded up,
// at least 1.
func retryAfterSeconds(wait time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(wait.Seconds()))), 10)
}

// throttledAPI is the admin API's 429, in its error envelope.
func throttledAPI(wait time.Duration) answer {
	return errorAnswer(http.StatusTooManyRequests, OutcomeRateLimited, throttledMessage(wait)).
		withHeader("Retry-After", retryAfterSeconds(wait))
}

// throttledLogin is the inspector's 429: the token form again, saying why.
func (in *inspector) throttledLogin(wait time.Duration) answer {
	a := in.login(http.StatusTooManyRequests, throttledMessage(wait))
	a.outcome = OutcomeRateLimited
	return a.withHeader("Retry-After", retryAfterSeconds(wait))
}
