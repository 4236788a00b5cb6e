package mockserver

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
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
	bounds := map[string]doctable.Quantity{
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
		"MaxEntryHeaders":             doctable.Count(MaxEntryHeaders),
		"MaxEntryHeaderBytes":         doctable.Size(MaxEntryHeaderBytes),
		"MaxEntryHeaderValueBytes":    doctable.Size(MaxEntryHeaderValueBytes),
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
		"maxRecordedHeaders":          doctable.Count(maxRecordedHeaders),
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
	}
	doctable.CheckBounds(t, "../docs/mock.md", "## Bounds", "bound", "constant", bounds)
	// A bound added to the code is a row to add to the table: every
	// exported Max* and Default* constant of the package is in it.
	for _, name := range exportedConstants(t, "Max", "Default") {
		if _, ok := bounds[name]; !ok {
			t.Errorf("%s is a bound the docs/mock.md table does not state: add its row, and its constant here", name)
		}
	}
	if upstreamDialTimeout != upstreamHandshakeTimeout {
		t.Errorf("docs/mock.md states one bound for connecting and the TLS handshake; they are %s and %s", upstreamDialTimeout, upstreamHandshakeTimeout)
	}
}

// exportedConstants lists the package's exported constants whose names
// start with one of prefixes.
func exportedConstants(t *testing.T, prefixes ...string) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if n.IsExported() && slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(n.Name, p) }) {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	slices.Sort(names)
	return names
}
