package mockserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/benjiconnect/benji/mockserver"
)

// A test starts its own mock, queues the failure it wants to see, and reads
// back what its code sent. In a test, mockserver.NewTestServer(t) does the
// starting and the closing.
func ExampleStartTestServer() {
	ts, err := mockserver.StartTestServer(mockserver.Options{})
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	// The next request that names this user gets the contract's 429.
	if err := ts.QueueFault(mockserver.Fault{Status: 429, Match: mockserver.Match{UserExternalID: "1234"}}); err != nil {
		panic(err)
	}

	for _, body := range []string{
		`{"mode":1,"display_name":"Reward Cookies","user_external_id":"1234"}`,
		`{"mode":1,"display_name":"Reward Cookies","user_external_id":"1234"}`,
		`{"mode":2,"display_name":"Reward Cookies"}`,
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/verify/token/create", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer partner-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	for _, e := range ts.Requests(mockserver.Filter{}) {
		fmt.Println(e.Status, e.Outcome, e.Violations)
	}
	// Output:
	// 400 invalid_request [/mode: must be 1 (Connect), 3 (Transfer) or 4 (Redeem), got 2]
	// 200 ok []
	// 429 rate_limited []
}

// In proxy mode the mock forwards to the real API and reports where its
// answers depart from the contract. Here a local stand-in for the API issues
// tokens that are not UUIDs.
func ExampleServer_Drift() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":"ok","data":{"token":"tok_live_42"}}`)
	}))
	defer api.Close()
	ts, err := mockserver.StartTestServer(mockserver.Options{Upstream: api.URL}) // https://api-staging.withbenji.com, say
	if err != nil {
		panic(err)
	}
	defer ts.Close()

	req, _ := http.NewRequest("POST", ts.URL+"/verify/token/create", strings.NewReader(`{"mode":1,"display_name":"Reward Cookies"}`))
	req.Header.Set("Authorization", "Bearer staging-partner-token") // forwarded to the API, kept nowhere
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body)) // the API's answer, unchanged

	for _, d := range ts.Drift().Drift {
		fmt.Println(d.Status, d.Count, d.Departure)
	}
	// Output:
	// 200 {"code":"ok","data":{"token":"tok_live_42"}}
	// 200 1 /data/token: must be a uuid, got "tok_live_42"
}
