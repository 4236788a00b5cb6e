// Command consumer is the smallest partner service: it creates one Connect
// token through the client package and exits 0. compose.yaml runs it against
// benji-mock to show the wiring partners copy.
//
// BENJI_BASE_URL points it at the API (http://benji-mock:4010 in compose);
// BENJI_PARTNER_TOKEN is the partner access token.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/benjiconnect/benji/client"
)

func main() {
	opts := []client.Option{}
	if base := os.Getenv("BENJI_BASE_URL"); base != "" {
		opts = append(opts, client.WithBaseURL(base))
	}
	c, err := client.New(os.Getenv("BENJI_PARTNER_TOKEN"), opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := c.CreateToken(ctx, client.Request{
		Mode:          client.Connect,
		DisplayName:   "Reward Cookies",
		PartnershipID: "49",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	fmt.Println("token:", tok.Value)
}
