// Package contractcheck checks a client's requests against the contract
// before they are sent, so that a request benji-mock would refuse fails at
// once, naming the fields, without a network call:
//
//	c, err := client.New(token, contractcheck.Option())
//
// It is a package of its own because it builds the OpenAPI library (and its
// YAML and JSON Schema dependencies) into the service that imports it;
// package client alone does not.
package contractcheck

import (
	"github.com/benjiconnect/benji/client"
	"github.com/benjiconnect/benji/internal/contract"
)

// Option returns the client option that checks every request with Check.
func Option() client.Option { return client.WithRequestCheck(Check) }

// Check returns what the contract finds wrong with an encoded createToken
// request body (at most 50 violations, as the mock lists), or nothing.
func Check(body []byte) []client.FieldError {
	c, err := contract.Load()
	if err != nil {
		return []client.FieldError{{Message: "cannot be checked: " + err.Error()}}
	}
	found := c.CheckBody(body)
	if found.Syntax != "" {
		return []client.FieldError{{Message: "is not JSON: " + found.Syntax}}
	}
	return found.Violations
}
