package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/benjiconnect/benji/client"
	"github.com/benjiconnect/benji/mockserver"
)

// The quick start: build a client once, then create a token per flow. Here
// it talks to an in-process benji-mock; in production leave WithBaseURL out
// to reach StagingURL.
func Example() {
	mock, _ := mockserver.StartTestServer(mockserver.Options{})
	defer mock.Close()

	c, err := client.New("partner-access-token", client.WithBaseURL(mock.URL))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.CreateToken(context.Background(), client.Request{
		Mode:          client.Transfer,
		DisplayName:   "Reward Cookies",
		PartnershipID: "49",
		Actions:       []client.Action{{Mode: client.Transfer, Amount: 1000, AllowsEditing: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// tok.Value goes to the partner's app, which initialises the SDK with it.
	fmt.Println("token issued:", tok.Value != "", "attempts:", tok.Attempts)
	// Output: token issued: true attempts: 1
}

// Errors that Benji answers are *APIError values; the helpers cover the
// cases callers branch on.
func ExampleAPIError() {
	mock, _ := mockserver.StartTestServer(mockserver.Options{})
	defer mock.Close()
	c, _ := client.New("partner-access-token", client.WithBaseURL(mock.URL))

	_, err := c.CreateToken(context.Background(), client.Request{Mode: 2, DisplayName: "Reward Cookies"})
	var apiErr *client.APIError
	switch {
	case client.IsUnauthorized(err):
		fmt.Println("renew the partner access token")
	case errors.As(err, &apiErr) && apiErr.StatusCode == 400:
		fmt.Println(apiErr.Code)
		for _, f := range apiErr.Fields {
			fmt.Println(f.Field, "-", f.Message)
		}
	}
	// Output:
	// invalid_request
	// /mode - must be 1 (Connect), 3 (Transfer) or 4 (Redeem), got 2
}

// Rate limits, gateway errors and lost connections are retried: here the
// mock answers 429 twice and the third attempt gets the token.
func ExampleRetryPolicy() {
	mock, _ := mockserver.StartTestServer(mockserver.Options{})
	defer mock.Close()
	mock.QueueFault(mockserver.Fault{Status: 429, Times: 2})

	c, _ := client.New("partner-access-token",
		client.WithBaseURL(mock.URL),
		client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 4, BaseDelay: 50 * time.Millisecond, MaxDelay: 100 * time.Millisecond}),
	)
	tok, err := c.CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "Reward Cookies"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("attempts:", tok.Attempts)
	// Output: attempts: 3
}

// Testing what a service does in an outage: the mock answers as a gateway
// in front of the API would, and the client retries.
func Example_gatewayFaults() {
	mock, _ := mockserver.StartTestServer(mockserver.Options{})
	defer mock.Close()
	c, _ := client.New("partner-access-token", client.WithBaseURL(mock.URL),
		client.WithRetryPolicy(client.RetryPolicy{BaseDelay: time.Millisecond}))

	// One 503, then the usual answer: the retry gets a token.
	mock.QueueFault(mockserver.Fault{Status: 503})
	tok, err := c.CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "Reward Cookies"})
	fmt.Println(err, tok.Attempts)

	// As many 502s as the client's attempts: it gives up with the status.
	mock.QueueFault(mockserver.Fault{Status: 502, Times: 3})
	_, err = c.CreateToken(context.Background(), client.Request{Mode: client.Connect, DisplayName: "Reward Cookies"})
	var apiErr *client.APIError
	fmt.Println(errors.As(err, &apiErr), apiErr.StatusCode, apiErr.Attempts)
	// Output:
	// <nil> 2
	// true 502 3
}
