package mockserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// sessionLifetime is how long the inspector's session cookie lets a browser
// in after it gave the admin token.
const sessionLifetime = 12 * time.Hour

// sessions signs the inspector's session cookies with a key made when the
// server starts, so that a cookie tells nothing about the admin token, ends
// when the mock restarts or after sessionLifetime, and ends with every
// other when anyone signs out (the epoch moves on).
type sessions struct {
	key   [32]byte
	epoch atomic.Uint64
}

func newSessions() *sessions {
	s := &sessions{}
	rand.Read(s.key[:]) // never fails (crypto/rand)
	return s
}

// issue returns a cookie value issued at now: the time, then its MAC.
func (s *sessions) issue(now time.Time) string {
	var b [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Unix()))
	copy(b[8:], s.mac(b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// valid reports whether value is a cookie this server issued, under the
// current epoch, within sessionLifetime of now.
func (s *sessions) valid(value string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) != 8+sha256.Size || !hmac.Equal(b[8:], s.mac(b[:8])) {
		return false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	return !issued.After(now) && now.Sub(issued) < sessionLifetime
}

// endAll ends every session issued so far.
func (s *sessions) endAll() { s.epoch.Add(1) }

func (s *sessions) mac(issued []byte) []byte {
	m := hmac.New(sha256.New, s.key[:])
	m.Write(issued)
	var epoch [8]byte
	binary.BigEndian.PutUint64(epoch[:], s.epoch.Load())
	m.Write(epoch[:])
	return m.Sum(nil)
}
