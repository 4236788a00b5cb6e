package mockserver

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// redacted replaces a credential in what the mock keeps.
const redacted = "[redacted]"

// minSecretBytes is the shortest credential redacted: a shorter one would
// match ordinary text and garble it, and is no secret worth the name.
const minSecretBytes = 8

// credentials are what a request's Authorization headers carry, in every
// form in which an upstream may echo them: each whole value, the part after
// its scheme, and both as a JSON encoder that escapes "/" writes them. In
// proxy mode they are taken out of everything the mock keeps of the
// upstream's answer (the journal, the log, the drift report, the record)
// before any of it is checked or cut, so that no piece of one survives.
type credentials []string

// credentialsOf collects the credentials of r, longest first.
func credentialsOf(r *http.Request) credentials {
	var c credentials
	add := func(s string) {
		s = strings.TrimSpace(s)
		if len(s) < minSecretBytes {
			return
		}
		for _, form := range []string{s, strings.ReplaceAll(s, "/", `\/`), url.QueryEscape(s), url.PathEscape(s)} {
			if !slices.Contains(c, form) {
				c = append(c, form)
			}
		}
	}
	for _, v := range r.Header["Authorization"] {
		add(v)
		if i := strings.IndexAny(strings.TrimSpace(v), " \t"); i >= 0 {
			add(strings.TrimSpace(v)[i:]) // the credentials after the scheme
		}
	}
	// Longest first: a whole value goes before the token inside it.
	slices.SortStableFunc(c, func(a, b string) int { return len(b) - len(a) })
	return c
}

// text returns s with every credential replaced, and any piece of one that
// was cut short before it reached the mock (the contract quotes a body's
// values cut, marked "…").
func (c credentials) text(s string) string {
	for _, secret := range c {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	if len(c) > 0 && strings.Contains(s, cutMark) {
		s = c.cutPieces(s)
	}
	return s
}

// cutMark is what cutString, and the contract's messages, put where they
// cut.
const cutMark = "…"

// cutPieces replaces each piece of a credential in s that ends where s
// marks a cut: the first minSecretBytes or more bytes of a credential,
// then "…".
func (c credentials) cutPieces(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, cutMark)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		head := s[:i]
		for _, secret := range c {
			if p := pieceAtEnd(head, secret); p > 0 {
				head = head[:len(head)-p] + redacted
				break
			}
		}
		b.WriteString(head)
		b.WriteString(cutMark)
		s = s[i+len(cutMark):]
	}
}

// pieceAtEnd returns the length of the longest start of secret, at least
// minSecretBytes long, that s ends with; 0 for none.
func pieceAtEnd(s, secret string) int {
	window := s[max(0, len(s)-len(secret)):]
	start := secret[:min(len(secret), minSecretBytes)]
	for off := 0; ; {
		j := strings.Index(window[off:], start)
		if j < 0 {
			return 0
		}
		if piece := window[off+j:]; strings.HasPrefix(secret, piece) {
			return len(piece)
		}
		off += j + 1
	}
}

// body returns b with every credential replaced; b itself when it holds
// none.
func (c credentials) body(b []byte) []byte {
	for _, secret := range c {
		if bytes.Contains(b, []byte(secret)) {
			b = bytes.ReplaceAll(b, []byte(secret), []byte(redacted))
		}
	}
	return b
}

// header returns h with every credential replaced in its names and values;
// h itself when none holds one. Names are compared without case, as
// net/http rewrites their case.
func (c credentials) header(h http.Header) http.Header {
	out, copied := h, false
	copyOnce := func() {
		if !copied {
			out, copied = h.Clone(), true
		}
	}
	for name, values := range h {
		if c.inName(name) {
			copyOnce()
			delete(out, name)
			out[redacted] = append(out[redacted], values...)
			name = redacted
		}
		for i, v := range out[name] {
			if r := c.text(v); r != v {
				copyOnce()
				out[name][i] = r
			}
		}
	}
	return out
}

// inName reports whether a header name holds a credential, in any case.
func (c credentials) inName(name string) bool {
	lower := strings.ToLower(name)
	for _, secret := range c {
		if strings.Contains(lower, strings.ToLower(secret)) {
			return true
		}
	}
	return false
}
