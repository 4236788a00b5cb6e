// Package client is the Go client that partner services import to create
// Benji Connect tokens. It is not written yet; see the client issue.
package client
