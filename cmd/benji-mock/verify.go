package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/benjiconnect/benji/mockserver"
)

// Exit codes of benji-mock verify.
const (
	verifyConforms   = 0 // nothing in the record departs from the contract
	verifyDeparts    = 1 // something does
	verifyUnreadable = 2 // the record cannot be read, or the command is misused
)

const verifyUsage = `usage: benji-mock verify [--json] FILE...

Checks every exchange of a record (what --record writes, or lines written
by hand) against the contract built into this benji-mock: each request as
the mock checks one, each answer as proxy mode checks the upstream's. Prints
each distinct departure: where, what the contract wants, how often, the
first lines it was seen on, and the upstream's request id.

Exit status: 0 when the record conforms, 1 when anything departs, 2 when
the record cannot be read (the message names the file and line) or the
usage is wrong.

Flags:
`

// runVerify is benji-mock verify: it prints the report on stdout and
// returns the exit code.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benji-mock verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON, for tools")
	fs.Usage = func() {
		fmt.Fprint(stderr, verifyUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return verifyConforms
		}
		return verifyUnreadable
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "benji-mock verify: name at least one record file")
		fs.Usage()
		return verifyUnreadable
	}
	report, err := mockserver.VerifyRecord(ctx, fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, "benji-mock verify:", err)
		return verifyUnreadable
	}
	if *asJSON {
		out, err := json.MarshalIndent(report, "", "  ")
		if err == nil {
			_, err = fmt.Fprintf(stdout, "%s\n", out)
		}
		if err != nil {
			fmt.Fprintln(stderr, "benji-mock verify:", err)
			return verifyUnreadable
		}
	} else if err := report.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, "benji-mock verify:", err)
		return verifyUnreadable
	}
	if !report.Conforms() {
		return verifyDeparts
	}
	return verifyConforms
}
