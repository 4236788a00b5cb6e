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
