// Package benji is the root of the Benji Connect toolkit for Go. It holds the
// hand-written OpenAPI contract of POST /verify/token/create, from which
// everything else is generated or validated:
//
//   - gen: the code oapi-codegen generates from the contract;
//   - client: the package partner services import to create Connect tokens;
//   - mockserver: a contract-validated fake Benji API for local runs and tests;
//   - cmd/benji-mock: the mock's binary.
package benji

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the contract, openapi.yaml, exactly as it is written in this
// module. The caller owns the returned slice.
func OpenAPI() []byte {
	return append([]byte(nil), openAPI...)
}
