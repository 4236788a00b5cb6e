package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"unicode/utf8"
)

// Small helpers for text the mock keeps or sends: header values, JSON, and
// cuts that bound what the journal and the log hold.

// headerValue is h.Get(name) for a name in canonical form, without Get's
// canonicalisation on every call: a server's request headers are stored
// under canonical names.
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// cutString shortens s so that it takes at most n bytes once encoded as a
// JSON string (control characters, quotes, <, >, & and invalid bytes take
// more than one), cutting on a character boundary and marking the cut with
// "…". Every bound on what the journal and the log keep is in these terms.
func cutString(s string, n int) string {
	if len(s)*6 <= n {
		return s // fits, however it is escaped
	}
	cost, cutAt := 0, -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		cost += jsonCost(r, size)
		if cutAt < 0 && cost > n-len("…") {
			cutAt = i // where the cut goes, if the whole does not fit
		}
		if cost > n {
			return s[:cutAt] + "…"
		}
		i += size
	}
	return s
}

// jsonCost is what a character of size bytes takes in a JSON string as
// encoding/json writes it.
func jsonCost(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size == 1:
		return 6 // an invalid byte becomes \ufffd
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
		return 6
	}
	return size
}

// encodeJSON encodes v without escaping <, > and &: messages quote
// "Authorization: Bearer <token>". The values encoded are the mock's own
// types, which always encode.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"code":"internal_error","message":"The mock failed to encode its answer."}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
