package mockserver_test

import "fmt"

// clipBytes is how much of a body, URL or log a failing test prints.
const clipBytes = 200

// clip shortens s for a failure message: its first clipBytes bytes, quoted,
// and how long it was. A failing test must not print a whole 1 MiB body.
func clip[S ~string | ~[]byte](s S) string {
	if len(s) <= clipBytes {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q… (%d bytes in all)", s[:clipBytes], len(s))
}
