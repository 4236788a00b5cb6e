package mockserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/benjiconnect/benji/internal/contract"
)

// The drift report keeps at most MaxDriftEntries distinct departures and
// counts the rest; each keeps its first request ids only.
func TestDriftReportIsBounded(t *testing.T) {
	var d driftReport
	at := time.Now()
	for i := range MaxDriftEntries + 100 {
		dep := contract.Departure{Kind: contract.DepartureBody, Where: fmt.Sprintf("/extra/%d", i), Rule: "must be a string"}
		d.add(200, []contract.Departure{dep}, 0, fmt.Sprint("first-", i), "", at)
	}
	for i := range 20 {
		dep := contract.Departure{Kind: contract.DepartureBody, Where: "/extra/0", Rule: "must be a string"}
		d.add(200, []contract.Departure{dep}, 3, fmt.Sprint("again-", i), "", at.Add(time.Second))
	}
	r := d.report()
	if len(r.Drift) != MaxDriftEntries || r.Omitted != 100+20*3 {
		t.Fatalf("report holds %d departures and omits %d; want %d and %d", len(r.Drift), r.Omitted, MaxDriftEntries, 100+20*3)
	}
	top := r.Drift[0]
	if top.Where != "/extra/0" || top.Count != 21 || len(top.RequestIDs) != maxDriftRequestIDs || top.RequestIDs[0] != "first-0" || !top.LastSeen.After(top.FirstSeen) {
		t.Errorf("most frequent departure = %+v; want /extra/0 seen 21 times, its first %d request ids", top, maxDriftRequestIDs)
	}
	if r.Answers != MaxDriftEntries+120 || r.Departed != r.Answers {
		t.Errorf("answers %d departed %d", r.Answers, r.Departed)
	}
	d.reset()
	if r := d.report(); r.Answers != 0 || len(r.Drift) != 0 || r.Omitted != 0 {
		t.Errorf("after reset: %+v", r)
	}
}
