package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/benjiconnect/benji/mockserver"
)

// One rule in both modes: faults and Prefer shape the answer only to a
// request the contract accepts. A request it refuses never takes a fault
// and never gets Prefer's answer: the mock answers its refusal, or proxy
// mode forwards it and the upstream decides.
func TestARequestTheContractRefusesTakesNoFaultNorPrefer(t *testing.T) {
	const invalid = `{"mode":2}`
	const upstreamStatus = http.StatusUnprocessableEntity
	tests := []struct {
		mode   string // "mock", "proxy" or "proxy, refuse invalid"
		body   string
		header []string
		fault  bool // a 429 fault without a match is queued first
		// wantStatus is the answer; wantForwarded says it is the
		// upstream's; wantQueued says the fault is still queued after.
		wantStatus    int
		wantForwarded bool
		wantQueued    bool
		wantInjected  bool
	}{
		{mode: "mock", body: seedTransfer, fault: true, wantStatus: 429, wantInjected: true},
		{mode: "mock", body: invalid, fault: true, wantStatus: 400, wantQueued: true},
		{mode: "mock", body: seedTransfer, header: []string{"Authorization", ""}, fault: true, wantStatus: 401, wantQueued: true},
		{mode: "mock", body: seedTransfer, header: []string{"Prefer", "code=401"}, wantStatus: 401, wantInjected: true},
		{mode: "mock", body: invalid, header: []string{"Prefer", "code=401"}, wantStatus: 400},
		{mode: "mock", body: invalid, header: []string{"Prefer", "example=nonsense"}, wantStatus: 400},
		{mode: "mock", body: seedTransfer, header: []string{"Prefer", "example=nonsense"}, wantStatus: 400},

		{mode: "proxy", body: seedTransfer, fault: true, wantStatus: 429, wantInjected: true},
		{mode: "proxy", body: invalid, fault: true, wantStatus: upstreamStatus, wantForwarded: true, wantQueued: true},
		{mode: "proxy", body: seedTransfer, header: []string{"Authorization", ""}, fault: true, wantStatus: upstreamStatus, wantForwarded: true, wantQueued: true},
		{mode: "proxy", body: `{"mode":`, fault: true, wantStatus: upstreamStatus, wantForwarded: true, wantQueued: true},
		{mode: "proxy", body: seedTransfer, header: []string{"Prefer", "code=401"}, wantStatus: 401, wantInjected: true},
		{mode: "proxy", body: invalid, header: []string{"Prefer", "code=401"}, wantStatus: upstreamStatus, wantForwarded: true},
		{mode: "proxy", body: invalid, header: []string{"Prefer", "example=nonsense"}, wantStatus: upstreamStatus, wantForwarded: true},
		{mode: "proxy", body: seedTransfer, header: []string{"Prefer", "example=nonsense"}, wantStatus: 400},
		{mode: "proxy", body: seedTransfer, wantStatus: upstreamStatus, wantForwarded: true},

		{mode: "proxy, refuse invalid", body: invalid, fault: true, wantStatus: 400, wantQueued: true},
		{mode: "proxy, refuse invalid", body: invalid, header: []string{"Prefer", "code=401"}, wantStatus: 400},
		{mode: "proxy, refuse invalid", body: seedTransfer, fault: true, wantStatus: 429, wantInjected: true},
	}
	for _, tt := range tests {
		name := tt.mode + ": " + map[string]string{seedTransfer: "valid", invalid: "invalid body", `{"mode":`: "malformed body"}[tt.body]
		if tt.fault {
			name += ", a fault queued"
		}
		for i := 0; i+1 < len(tt.header); i += 2 {
			name += ", " + tt.header[i] + "=" + tt.header[i+1]
		}
		t.Run(name, func(t *testing.T) {
			up := startUpstream(t, false, answers(upstreamStatus, `{"error":"the upstream's"}`))
			var ts *mockserver.TestServer
			switch tt.mode {
			case "mock":
				ts = mockserver.NewTestServer(t)
			case "proxy":
				ts, _, _ = startProxy(t, up.URL)
			default:
				ts, _, _ = startProxy(t, up.URL, func(o *mockserver.Options) { o.RefuseInvalid = true })
			}
			if tt.fault {
				if err := ts.QueueFault(mockserver.Fault{Status: 429}); err != nil {
					t.Fatal(err)
				}
			}
			got := create(t, ts, tt.body, tt.header...)
			reqs, _ := up.seen()
			if got.status != tt.wantStatus || (len(reqs) == 1) != tt.wantForwarded {
				t.Errorf("got %d with %d requests upstream; want %d, forwarded %v", got.status, len(reqs), tt.wantStatus, tt.wantForwarded)
			}
			if queued := len(ts.Faults()) == 1; tt.fault && queued != tt.wantQueued {
				t.Errorf("fault still queued: %v, want %v", queued, tt.wantQueued)
			}
			if e := onlyEntry(t, ts); (e.Injected != "") != tt.wantInjected {
				t.Errorf("entry injected %q, want injected %v", e.Injected, tt.wantInjected)
			}
		})
	}
}
