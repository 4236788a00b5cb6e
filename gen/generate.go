// Package gen holds the code that oapi-codegen generates from ../openapi.yaml:
// the request and response models, a typed HTTP client, the echo server
// interface and the embedded contract. Nothing here is written by hand except
// this file; change the contract and run `go generate ./...` instead.
package gen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
