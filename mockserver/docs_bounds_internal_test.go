package mockserver

import (
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/doctable"
)

// Each bound is stated once in the docs, in docs/mock.md's table, and that
// table says what the code does: a row and its constant never disagree, no
// row names a constant that is gone, and no constant lacks its row.
func TestDocsStateEachBoundAsItsConstant(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := s.cat.contract.BodySchema
	actions := body.Properties["custom_attributes"].Value.Properties["actions"].Value
	if actions.MaxItems == nil {
		t.Fatal("the contract sets no maxItems on custom_attributes.actions")
	}
	doctable.CheckBounds(t, "../docs/mock.md", "## Bounds", "bound", "constant", map[string]doctable.Quantity{
		"DefaultMaxBodyBytes":         doctable.Size(DefaultMaxBodyBytes),
		"MaxMaxBodyBytes":             doctable.Size(MaxMaxBodyBytes),
		"maxDeclaredPrealloc":         doctable.Size(maxDeclaredPrealloc),
		"DefaultMaxBodyBytesInFlight": doctable.Size(DefaultMaxBodyBytesInFlight),
		"MaxMaxBodyBytesInFlight":     doctable.Size(MaxMaxBodyBytesInFlight),
		"bodiesRetryAfter":            doctable.Duration(bodiesRetryAfter * time.Second),
		"MaxHeaderBytes":              doctable.Size(MaxHeaderBytes),
		"bigBody":                     doctable.Size(bigBody),
		"actions.maxItems":            doctable.Count(int64(*actions.MaxItems)),
		"errors.maxItems":             doctable.Count(s.cat.contract.MaxViolations),
		"DefaultJournalSize":          doctable.Count(DefaultJournalSize),
		"MaxJournalSize":              doctable.Count(MaxJournalSize),
		"MaxEntryBytes":               doctable.Size(MaxEntryBytes),
		"maxJournalBody":              doctable.Size(maxJournalBody),
		"maxStringBytes":              doctable.Size(maxStringBytes),
		"maxActions":                  doctable.Count(maxActions),
		"maxPathBytes":                doctable.Size(maxPathBytes),
		"maxFieldBytes":               doctable.Size(maxFieldBytes),
		"maxMessageBytes":             doctable.Size(maxMessageBytes),
		"MaxQueuedFaults":             doctable.Count(MaxQueuedFaults),
		"MaxFaultTimes":               doctable.Count(MaxFaultTimes),
		"Server.MaxFaultDelay":        doctable.Duration(s.MaxFaultDelay()),
		"MaxRetryAfter":               doctable.Duration(MaxRetryAfter),
		"MaxAdminBodyBytes":           doctable.Size(MaxAdminBodyBytes),
		"adminGuessBurst":             doctable.Count(adminGuessBurst),
		"adminGuessEvery":             doctable.Duration(adminGuessEvery),
		"minAdminTokenBytes":          doctable.Size(minAdminTokenBytes),
		"MaxLatency":                  doctable.Duration(MaxLatency),
		"DefaultShutdownTimeout":      doctable.Duration(DefaultShutdownTimeout),
		"MaxShutdownTimeout":          doctable.Duration(MaxShutdownTimeout),
		"ReadHeaderTimeout":           doctable.Duration(ReadHeaderTimeout),
		"ReadTimeout":                 doctable.Duration(ReadTimeout),
		"WriteTimeout":                doctable.Duration(WriteTimeout),
		"IdleTimeout":                 doctable.Duration(IdleTimeout),
		"DefaultUpstreamTimeout":      doctable.Duration(DefaultUpstreamTimeout),
		"MaxUpstreamTimeout":          doctable.Duration(MaxUpstreamTimeout),
		"upstreamBudget":              doctable.Duration(upstreamBudget),
		"upstreamDialTimeout":         doctable.Duration(min(upstreamDialTimeout, upstreamHandshakeTimeout)),
		"MaxUpstreamBodyBytes":        doctable.Size(MaxUpstreamBodyBytes),
		"MaxUpstreamExchanges":        doctable.Count(MaxUpstreamExchanges),
		"maxEntryUpstreamBody":        doctable.Size(maxEntryUpstreamBody),
		"maxEntryDepartures":          doctable.Count(maxEntryDepartures),
		"MaxDriftEntries":             doctable.Count(MaxDriftEntries),
		"maxDriftRequestIDs":          doctable.Count(maxDriftRequestIDs),
		"maxEntryUpstreamHeaders":     doctable.Count(maxEntryUpstreamHeaders),
		"maxEntryHeaderValue":         doctable.Size(maxEntryHeaderValue),
		"MaxRecordBytes":              doctable.Size(MaxRecordBytes),
		"MaxRecordFileBytes":          doctable.Size(MaxRecordFileBytes),
		"MaxRecordLines":              doctable.Count(MaxRecordLines),
		"MaxRecordLineBytes":          doctable.Size(MaxRecordLineBytes),
		"maxDroppedListed":            doctable.Count(maxDroppedListed),
		"maxDriftLines":               doctable.Count(maxDriftLines),
		"minSecretBytes":              doctable.Size(minSecretBytes),
		"defaultPageEntries":          doctable.Count(defaultPageEntries),
		"maxPageEntries":              doctable.Count(maxPageEntries),
		"maxBodyLines":                doctable.Count(maxBodyLines),
		"maxIndentDepth":              doctable.Count(maxIndentDepth),
		"maxPageBodyLines":            doctable.Count(maxPageBodyLines),
		"maxPageFaults":               doctable.Count(maxPageFaults),
		"maxPageMatchBytes":           doctable.Size(maxPageMatchBytes),
		"maxPageDrift":                doctable.Count(maxPageDrift),
		"maxRendersAtOnce":            doctable.Count(maxRendersAtOnce),
		"sessionLifetime":             doctable.Duration(sessionLifetime),
	})
	if upstreamDialTimeout != upstreamHandshakeTimeout {
		t.Errorf("docs/mock.md states one bound for connecting and the TLS handshake; they are %s and %s", upstreamDialTimeout, upstreamHandshakeTimeout)
	}
}
