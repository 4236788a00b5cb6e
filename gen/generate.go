// Package gen holds the code that oapi-codegen generates from ../openapi.yaml
// for clients: the request and response models and a typed HTTP client. It
// imports no server framework and no OpenAPI library; the server side (the
// echo interface and the embedded contract) is in gen/echoserver. Nothing
// here is written by hand except this file; change the contract and run
// `go generate ./...` instead.
package gen

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
