package client

import (
	"testing"

	"github.com/benjiconnect/benji/internal/doctable"
)

// docs/client.md states each of the client's bounds once, as the code has it.
func TestDocsStateEachClientBoundAsItsConstant(t *testing.T) {
	doctable.CheckBounds(t, "../docs/client.md", "## Bounds", "bound", "constant", map[string]doctable.Quantity{
		"DefaultTimeout":     doctable.Duration(DefaultTimeout),
		"defaultMaxAttempts": doctable.Count(defaultMaxAttempts),
		"defaultBaseDelay":   doctable.Duration(defaultBaseDelay),
		"defaultMaxDelay":    doctable.Duration(defaultMaxDelay),
		"maxResponseBytes":   doctable.Size(maxResponseBytes),
		"maxQuote":           doctable.Size(maxQuote),
		"minScrubBytes":      doctable.Size(minScrubBytes),
	})
}
