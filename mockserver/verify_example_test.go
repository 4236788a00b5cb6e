package mockserver_test

import (
	"context"
	"fmt"

	"github.com/benjiconnect/benji/mockserver"
)

// A test can verify a record committed beside it: recorded through proxy
// mode (--record), or written by hand. Each departure is a change to make
// to the contract, or a bug to report to Benji with the upstream's request
// id.
func ExampleVerifyRecord() {
	report, err := mockserver.VerifyRecord(context.Background(), "testdata/record/departing.jsonl")
	if err != nil {
		panic(err) // the record cannot be read: a *RecordError names the file and line
	}
	fmt.Println("conforms:", report.Conforms())
	fmt.Println(report.Departing, "of", report.Exchanges, "exchanges depart")
	for _, d := range report.Drift {
		fmt.Println(d.Count, d.In, d.Status, d, d.Lines[0], d.RequestID)
	}
	// Output:
	// conforms: false
	// 4 of 4 exchanges depart
	// 2 answer 200 /data/token: must be a uuid, got "tok_live_42" testdata/record/departing.jsonl:1 up-7f3a
	// 1 answer 422 status: must be a status the contract documents (200, 400, 401, 413, 415, 429, 500), got 422 testdata/record/departing.jsonl:2 up-7f3b
	// 1 request 200 /mode: must be 1 (Connect), 3 (Transfer) or 4 (Redeem), got 2 testdata/record/departing.jsonl:4 up-7f3d
}
