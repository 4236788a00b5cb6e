//go:build tools

// This file pins the code generator in go.mod and go.sum, so that
// `go generate ./...` runs the version this module requires.
package benji

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
