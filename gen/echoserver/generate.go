// Package echoserver holds the server side that oapi-codegen generates from
// ../../openapi.yaml: the echo server interface that the mock implements and
// the embedded contract. Nothing here is written by hand except this file;
// change the contract and run `go generate ./...` instead.
package echoserver

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config oapi-codegen.yaml ../../openapi.yaml
