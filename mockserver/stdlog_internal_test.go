package mockserver

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// LogWriter remembers the credentials of at most maxRecentCredentials
// recent exchanges, the oldest dropped first; one seen again is the newest.
func TestRecentCredentialsAreBounded(t *testing.T) {
	var rc recentCredentials
	secret := func(i int) string { return fmt.Sprintf("credential-%04d", i) }
	for i := range maxRecentCredentials {
		rc.remember(credentials{secret(i)})
	}
	rc.remember(credentials{secret(0)}) // seen again: now the newest
	rc.remember(credentials{secret(maxRecentCredentials), strings.Repeat("x", maxRecentCredentialBytes+1)})
	got := rc.snapshot()
	if len(got) != maxRecentCredentials {
		t.Fatalf("%d credentials remembered, want %d", len(got), maxRecentCredentials)
	}
	for _, tc := range []struct {
		secret string
		kept   bool
	}{
		{secret(0), true},
		{secret(1), false}, // the oldest, dropped
		{secret(2), true},
		{secret(maxRecentCredentials), true},
		{strings.Repeat("x", maxRecentCredentialBytes+1), false}, // too long to remember
	} {
		if slices.Contains(got, tc.secret) != tc.kept {
			t.Errorf("%.20s… remembered: %v, want %v", tc.secret, !tc.kept, tc.kept)
		}
	}
}

// A piece of a credential cut short ("…" after it) is replaced whole, and
// nothing around it.
func TestCredentialsTextRedactsCutPieces(t *testing.T) {
	c := credentials{"Bearer sk_live_0123456789abcdef", "sk_live_0123456789abcdef"}
	for _, tc := range []struct{ in, want string }{
		{`got "sk_live_0123456…"`, `got "[redacted]…"`},
		{`got "xsk_live_0123456789…" and "sk_live_01234567…"`, `got "x[redacted]…" and "[redacted]…"`},
		{`got "sk_live…"`, `got "sk_live…"`}, // 7 bytes: too short to tell
		{`got "sk_live_9…"`, `got "sk_live_9…"`},
		{`Bearer sk_live_0123456789abcdef and sk_live_0123456789abcdef`, `[redacted] and [redacted]`},
	} {
		if got := c.text(tc.in); got != tc.want {
			t.Errorf("text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
