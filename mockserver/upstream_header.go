package mockserver

import (
	"net/http"

	"github.com/benjiconnect/benji/internal/contract"
)

// Bounds of the upstream's headers a journal entry keeps
// (UpstreamAnswer.Header): about 1 KiB once encoded.
const (
	// maxEntryUpstreamHeaders is how many headers an entry keeps: the
	// three that always matter, then those departures name (which are
	// headers the contract documents, a handful).
	maxEntryUpstreamHeaders = 6
	// maxEntryHeaderValue bounds each value kept, once JSON-encoded.
	maxEntryHeaderValue = 128
)

// answerHeadersKept are the headers of an upstream's answer that a journal
// entry always keeps when they were sent: what the body is, the id the
// upstream knows the request by, and how long to wait before trying again.
var answerHeadersKept = [...]string{"Content-Type", RequestIDHeader, "Retry-After"}

// headersThatMatter picks from an answer's header (credentials already
// redacted) what a journal entry keeps: answerHeadersKept and the headers
// departures name, each with its first value (the one the contract checks),
// cut at maxEntryHeaderValue; at most maxEntryUpstreamHeaders of them. Nil
// when none was sent.
func headersThatMatter(h http.Header, departures []contract.Departure) http.Header {
	var kept http.Header
	keep := func(name string) {
		name = http.CanonicalHeaderKey(name)
		values := h[name]
		if len(values) == 0 || len(kept) == maxEntryUpstreamHeaders {
			return
		}
		if _, done := kept[name]; done {
			return
		}
		if kept == nil {
			kept = make(http.Header, maxEntryUpstreamHeaders)
		}
		kept[name] = []string{cutString(values[0], maxEntryHeaderValue)}
	}
	for _, name := range answerHeadersKept {
		keep(name)
	}
	for _, d := range departures {
		if d.Kind == contract.DepartureHeader {
			keep(d.Where)
		}
	}
	return kept
}
