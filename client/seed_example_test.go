package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"reflect"
	"strings"
	"testing"

	"github.com/benjiconnect/benji/client"
	"github.com/benjiconnect/benji/mockserver"
)

// The reference's three example requests, as its page shows them.
var seedBodies = map[string]string{
	"connect":             `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48}`,
	"connect, known user": `{"mode":1,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"user_external_id":"1234"}`,
	"transfer":            `{"mode":3,"display_name":"Reward Cookies","partner_id":3,"partnership_id":49,"merchant_id":48,"custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}`,
}

// The reference's requests, as the client sends them: partnership_id goes
// as a number, as the reference writes it, through Extra.
var seedClientRequests = map[string]client.Request{
	"connect": {Mode: client.Connect, DisplayName: "Reward Cookies", PartnerID: 3, MerchantID: 48,
		Extra: map[string]any{"partnership_id": 49}},
	"connect, known user": {Mode: client.Connect, DisplayName: "Reward Cookies", PartnerID: 3, MerchantID: 48, UserExternalID: "1234",
		Extra: map[string]any{"partnership_id": 49}},
	"transfer": {Mode: client.Transfer, DisplayName: "Reward Cookies", PartnerID: 3, MerchantID: 48,
		Actions: []client.Action{{Mode: client.Transfer, Amount: 1000, AllowsEditing: true}},
		Extra:   map[string]any{"partnership_id": 49}},
}

// sent creates a token for req against an in-process mock and returns the
// body the mock received.
func sent(req client.Request) string {
	mock, err := mockserver.StartTestServer(mockserver.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer mock.Close()
	c, err := client.New("partner-access-token", client.WithBaseURL(mock.URL))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.CreateToken(context.Background(), req)
	if err != nil {
		log.Fatal(err)
	}
	e, _ := mock.RequestForToken(tok.Value)
	return e.Body
}

// The reference's first example: Connect mode.
func ExampleRequest_connect() {
	fmt.Println(sent(client.Request{
		Mode:        client.Connect,
		DisplayName: "Reward Cookies",
		PartnerID:   3,
		MerchantID:  48,
		Extra:       map[string]any{"partnership_id": 49}, // a number, as the reference sends it
	}))
	// Output: {"display_name":"Reward Cookies","merchant_id":48,"mode":1,"partner_id":3,"partnership_id":49}
}

// The reference's second example: Connect mode for a user the partner knows.
func ExampleRequest_connectKnownUser() {
	fmt.Println(sent(client.Request{
		Mode:           client.Connect,
		DisplayName:    "Reward Cookies",
		PartnerID:      3,
		MerchantID:     48,
		UserExternalID: "1234",
		Extra:          map[string]any{"partnership_id": 49},
	}))
	// Output: {"display_name":"Reward Cookies","merchant_id":48,"mode":1,"partner_id":3,"partnership_id":49,"user_external_id":"1234"}
}

// The reference's third example: Transfer mode with one editable transfer.
func ExampleRequest_transfer() {
	fmt.Println(sent(client.Request{
		Mode:        client.Transfer,
		DisplayName: "Reward Cookies",
		PartnerID:   3,
		MerchantID:  48,
		Actions:     []client.Action{{Mode: client.Transfer, Amount: 1000, AllowsEditing: true}},
		Extra:       map[string]any{"partnership_id": 49},
	}))
	// Output: {"custom_attributes":{"actions":[{"allows_editing":true,"amount":1000,"mode":3}]},"display_name":"Reward Cookies","merchant_id":48,"mode":3,"partner_id":3,"partnership_id":49}
}

// The client sends the reference's example requests byte for byte, apart
// from the order of keys.
func TestSeedRequestsAsTheReferenceShowsThem(t *testing.T) {
	for name, want := range seedBodies {
		got := sent(seedClientRequests[name])
		var g, w any
		if err := json.Unmarshal([]byte(got), &g); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(want), &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: the client sent %s, the reference shows %s", name, got, want)
		}
	}
}

// Extra adds fields the client has no field for, and replaces typed ones of
// the same name.
func TestExtraFieldsAreSentAndReplaceTypedOnes(t *testing.T) {
	got := sent(client.Request{Mode: client.Connect, DisplayName: "typed", PartnershipID: "49",
		Extra: map[string]any{"display_name": "extra", "new_field": []int{1, 2}}})
	want := `{"display_name":"extra","mode":1,"new_field":[1,2],"partnership_id":"49"}`
	if got != want {
		t.Errorf("sent %s, want %s", got, want)
	}
	c, _ := client.New("t", client.WithBaseURL("http://127.0.0.1:1"))
	if _, err := c.CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "x",
		Extra: map[string]any{"bad": make(chan int)}}); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("an extra value JSON cannot encode: err = %v, want an error naming it", err)
	}
}
