package contractcheck_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/benjiconnect/benji/client"
	"github.com/benjiconnect/benji/client/contractcheck"
)

func TestCheckNamesTheFirstViolation(t *testing.T) {
	for _, tc := range []struct {
		body, field string // field "" with want false: valid
		want        bool
	}{
		{`{"mode":1,"display_name":"x"}`, "", false},
		{`{"mode":2,"display_name":"x"}`, "/mode", true},
		{`{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":9223372036854775808}]}}`, "/custom_attributes/actions/0/amount", true},
		{`{"mode":`, "", true},
	} {
		got := contractcheck.Check([]byte(tc.body))
		if (len(got) > 0) != tc.want || tc.want && got[0].Field != tc.field {
			t.Errorf("Check(%s) = %v, want a violation %v naming %q", tc.body, got, tc.want, tc.field)
		}
	}
}

// A request the contract refuses fails before it is sent.
func ExampleOption() {
	c, err := client.New("partner-access-token", client.WithBaseURL("http://127.0.0.1:1"), contractcheck.Option())
	if err != nil {
		panic(err)
	}
	_, err = c.CreateToken(context.Background(), client.Request{Mode: 2, DisplayName: "Reward Cookies"})
	var invalid *client.ValidationError
	fmt.Println(errors.As(err, &invalid), client.IsInvalidRequest(err))
	fmt.Println(err)
	// Output:
	// true true
	// benji: invalid request: /mode: must be 1 (Connect), 3 (Transfer) or 4 (Redeem), got 2
}
