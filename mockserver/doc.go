// Package mockserver is a contract-validated fake of the Benji Connect token
// API, for local development and for Go tests.
package mockserver
