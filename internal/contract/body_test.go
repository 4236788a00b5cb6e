package contract

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

// request mirrors the generated request type's shape, so that these tests
// decode as the mock does without importing the generated package.
type request struct {
	DisplayName      string          `json:"display_name"`
	Mode             int32           `json:"mode"`
	PartnershipID    json.RawMessage `json:"partnership_id,omitempty"`
	UserExternalID   *string         `json:"user_external_id,omitempty"`
	PartnerID        *int64          `json:"partner_id,omitempty"`
	MerchantID       *int64          `json:"merchant_id,omitempty"`
	CustomAttributes *struct {
		Actions *[]struct {
			Mode          int32 `json:"mode"`
			Amount        int64 `json:"amount"`
			AllowsEditing *bool `json:"allows_editing,omitempty"`
		} `json:"actions,omitempty"`
	} `json:"custom_attributes,omitempty"`
}

func TestCheckBody(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name       string
		body       string
		wantSyntax bool
		wantFields []string // in order; nil for a valid body
		wantMore   int
	}{
		{"the seed's transfer", `{"mode":3,"display_name":"x","partnership_id":49,"custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}`, false, nil, 0},
		{"empty", ``, false, []string{""}, 0},
		{"truncated", `{"mode":`, true, nil, 0},
		{"trailing garbage", `{"mode":1,"display_name":"x"}x`, true, nil, 0},
		{"two values", `{"mode":1,"display_name":"x"} {}`, true, nil, 0},
		{"a byte order mark", "\xef\xbb\xbf" + `{"mode":1,"display_name":"x"}`, true, nil, 0},
		{"amount past int64", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":9223372036854775808}]}}`, false, []string{"/custom_attributes/actions/0/amount"}, 0},
		{"partnership_id under int64", `{"mode":1,"display_name":"x","partnership_id":-9223372036854775809}`, false, []string{"/partnership_id"}, 0},
		{"a fraction float64 cannot see", `{"mode":1,"display_name":"x","partner_id":9007199254740993.5}`, false, []string{"/partner_id"}, 0},
		{"int64's edges written oddly", `{"mode":1,"display_name":"x","partner_id":9223372036854775807.0,"merchant_id":-9.223372036854775808e18}`, false, nil, 0},
		{"indexes in document order", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` + strings.Repeat(`{"mode":3,"amount":1},`, 10) + `{"mode":1,"amount":1},{"mode":1,"amount":1}]}}`, false,
			[]string{"/custom_attributes/actions/10/mode", "/custom_attributes/actions/11/mode"}, 0},
		{"a bomb is capped", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[` + strings.Repeat(`{},`, 30_000) + `{}]}}`, false, nil, 153},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.CheckBody([]byte(tc.body))
			if (got.Syntax != "") != tc.wantSyntax {
				t.Fatalf("Syntax = %q, want a syntax error: %v", got.Syntax, tc.wantSyntax)
			}
			if tc.wantMore > 0 {
				if len(got.Violations) != c.MaxViolations || got.Omitted != tc.wantMore {
					t.Errorf("%d violations, %d omitted; want %d and %d", len(got.Violations), got.Omitted, c.MaxViolations, tc.wantMore)
				}
				return
			}
			var fields []string
			for _, v := range got.Violations {
				fields = append(fields, v.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tc.wantFields, ",") {
				t.Errorf("violations %v, want fields %v", got.Violations, tc.wantFields)
			}
		})
	}
	if c.MaxViolations != 50 {
		t.Errorf("MaxViolations = %d, want the contract's maxItems of 50", c.MaxViolations)
	}
}

func TestDecodeBodyIsCaseSensitive(t *testing.T) {
	c := mustLoad(t)
	body := `{"mode":1,"display_name":"real","DISPLAY_NAME":"evil","Mode":4,"custom_attributes":{"actions":[{"mode":3,"amount":1e3,"Amount":5,"MODE":4}]}}`
	if chk := c.CheckBody([]byte(body)); !chk.Valid() {
		t.Fatalf("CheckBody: %+v", chk)
	}
	var r request
	if err := c.DecodeBody([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	a := (*r.CustomAttributes.Actions)[0]
	if r.DisplayName != "real" || r.Mode != 1 || a.Mode != 3 || a.Amount != 1000 {
		t.Errorf("decoded %+v, action %+v; want real, 1 and an action of mode 3, amount 1000", r, a)
	}
}

// FuzzDecodeAgreesWithValidation: whatever CheckBody accepts, DecodeBody
// decodes, and each field holds exactly what the body's own key (matched
// case-sensitively) says.
func FuzzDecodeAgreesWithValidation(f *testing.F) {
	c := mustLoad(f)
	for _, tc := range quickBodies {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(`{"mode":1,"display_name":"real","DISPLAY_NAME":"evil","Mode":4}`))
	f.Add([]byte(`{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":9223372036854775807,"Amount":1}]}}`))
	f.Add([]byte(`{"mode":1.0,"display_name":"x","partnership_id":4.9e1,"partner_id":-9223372036854775808}`))
	f.Add([]byte(`{"mode":1,"display_name":"x","partnership_id":"49","merchant_id":1e18}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !c.CheckBody(body).Valid() {
			return
		}
		var r request
		if err := c.DecodeBody(body, &r); err != nil {
			t.Fatalf("CheckBody accepts %q, DecodeBody fails: %v", body, err)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("valid body %q does not decode as an object: %v", body, err)
		}
		if m["display_name"] != r.DisplayName {
			t.Errorf("%q: display_name %q, decoded %q", body, m["display_name"], r.DisplayName)
		}
		sameInt(t, body, "mode", m["mode"], int64(r.Mode), true)
		if v, ok := m["user_external_id"]; ok != (r.UserExternalID != nil) || ok && v != *r.UserExternalID {
			t.Errorf("%q: user_external_id %v, decoded %v", body, v, r.UserExternalID)
		}
		for name, got := range map[string]*int64{"partner_id": r.PartnerID, "merchant_id": r.MerchantID} {
			v, ok := m[name]
			if ok != (got != nil) {
				t.Errorf("%q: %s present %v, decoded %v", body, name, ok, got)
			} else if ok {
				sameInt(t, body, name, v, *got, true)
			}
		}
		if v, ok := m["partnership_id"]; ok {
			var id any
			d := json.NewDecoder(bytes.NewReader(r.PartnershipID))
			d.UseNumber()
			if err := d.Decode(&id); err != nil {
				t.Fatalf("%q: partnership_id decoded as %s", body, r.PartnershipID)
			}
			if s, isString := v.(string); isString && id != s {
				t.Errorf("%q: partnership_id %q, decoded %v", body, s, id)
			} else if !isString {
				n, _ := id.(json.Number).Int64()
				sameInt(t, body, "partnership_id", v, n, true)
			}
		}
		ca, _ := m["custom_attributes"].(map[string]any)
		actions, _ := ca["actions"].([]any)
		var decoded int
		if r.CustomAttributes != nil && r.CustomAttributes.Actions != nil {
			decoded = len(*r.CustomAttributes.Actions)
		}
		if len(actions) != decoded {
			t.Fatalf("%q: %d actions, decoded %d", body, len(actions), decoded)
		}
		for i, a := range actions {
			am := a.(map[string]any)
			got := (*r.CustomAttributes.Actions)[i]
			sameInt(t, body, "mode", am["mode"], int64(got.Mode), true)
			sameInt(t, body, "amount", am["amount"], got.Amount, true)
			if v, ok := am["allows_editing"]; ok != (got.AllowsEditing != nil) || ok && v != *got.AllowsEditing {
				t.Errorf("%q: allows_editing %v, decoded %v", body, v, got.AllowsEditing)
			}
		}
	})
}

// sameInt checks that a JSON number equals n exactly.
func sameInt(t *testing.T, body []byte, name string, v any, n int64, required bool) {
	t.Helper()
	num, ok := v.(json.Number)
	if !ok {
		if required {
			t.Errorf("%q: %s is %v, not a number", body, name, v)
		}
		return
	}
	f, _, err := big.ParseFloat(string(num), 10, 1024, big.ToNearestEven)
	if err != nil || f.Cmp(new(big.Float).SetInt64(n)) != 0 {
		t.Errorf("%q: %s is %s, decoded %d", body, name, num, n)
	}
}
