package mockserver

import (
	"encoding/base64"
	"encoding/binary"
	"testing"
	"time"
)

func TestSessionCookieIsValidOnlyFromThisServerWithinItsLifetime(t *testing.T) {
	s, other := newSessions(), newSessions()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	cookie := s.issue(now)
	raw, err := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil {
		t.Fatal(err)
	}
	// The time of issue (the first 8 bytes, Unix seconds) moved an hour
	// later, under the same MAC.
	binary.BigEndian.PutUint64(raw[:8], binary.BigEndian.Uint64(raw[:8])+uint64(time.Hour/time.Second))
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	tests := []struct {
		name   string
		s      *sessions
		value  string
		at     time.Time
		wanted bool
	}{
		{"just issued", s, cookie, now, true},
		{"an hour before it ends", s, cookie, now.Add(sessionLifetime - time.Hour), true},
		{"when it ends", s, cookie, now.Add(sessionLifetime), false},
		{"before it was issued", s, cookie, now.Add(-time.Minute), false},
		{"another server's", other, cookie, now, false},
		{"its time moved", s, tampered, now.Add(time.Hour), false},
		{"empty", s, "", now, false},
		{"not base64", s, "%%%", now, false},
	}
	for _, tt := range tests {
		if got := tt.s.valid(tt.value, tt.at); got != tt.wanted {
			t.Errorf("%s: valid = %v, want %v", tt.name, got, tt.wanted)
		}
	}
	s.endAll()
	if s.valid(cookie, now) {
		t.Error("a session issued before endAll is still valid")
	}
	if !s.valid(s.issue(now), now) {
		t.Error("a session issued after endAll is not valid")
	}
}
