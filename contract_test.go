package benji_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/benjiconnect/benji"
	"github.com/benjiconnect/benji/gen/echoserver"
	"github.com/benjiconnect/benji/internal/contract"
)

// The seed's three example requests, byte for byte as the reference shows
// them: the contract must accept each one as it is.
const (
	seedConnect = `{
    "mode": 1,
    "display_name": "Reward Cookies",
    "partner_id": 3,
    "partnership_id": 49,
    "merchant_id": 48
}`
	seedConnectKnownUser = `{
    "mode": 1,
    "display_name": "Reward Cookies",
    "partner_id": 3,
    "partnership_id": 49,
    "merchant_id": 48,
    "user_external_id": "1234"
}`
	seedTransfer = `{
    "mode": 3,
    "display_name": "Reward Cookies",
    "partner_id": 3,
    "partnership_id": 49,
    "merchant_id": 48,
    "custom_attributes": {
        "actions": [
            {
                "mode": 3,
                "amount": 1000,
                "allows_editing": true
            }
        ]
    }
}`
	seedResponse = `{
    "code": "ok",
    "data": {
        "token": "0c371a1c-aa81-11ef-b28c-0a58a9feac02"
    }
}`
)

func loadContract(t *testing.T) *contract.Contract {
	t.Helper()
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := contract.Parse(data)
	if err != nil {
		t.Fatalf("openapi.yaml is not a valid contract: %v", err)
	}
	return c
}

// validateRequest runs kin-openapi's request validation on a createToken
// request with a bearer token and the given body.
func validateRequest(t *testing.T, c *contract.Contract, body string) error {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, contract.CreateTokenPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer partner-token")
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   c.Route,
		Options: c.Options(openapi3filter.NoopAuthenticationFunc),
	})
}

func TestContractIsValidOpenAPI303(t *testing.T) {
	c := loadContract(t)
	if c.Doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3 (3.1 documents take kin-openapi's slow JSON Schema 2020 path)", c.Doc.OpenAPI)
	}
	if got := c.Operation.OperationID; got != "createToken" {
		t.Errorf("operationId = %q, want createToken", got)
	}
	if c.Operation.Security == nil || len(*c.Operation.Security) == 0 {
		t.Error("createToken has no security requirement; the reference requires the partner access token")
	}
	for _, status := range []int{200, 400, 401, 413, 415, 429, 500} {
		if !c.DocumentsStatus(status) {
			t.Errorf("createToken does not document status %d", status)
		}
	}
	// A POST to the operation's path never gets these: they are answers of
	// the routing, documented beside the operation.
	for _, status := range []int{404, 405} {
		if c.DocumentsStatus(status) {
			t.Errorf("createToken documents status %d, which a POST to its path cannot get", status)
		}
	}
	for _, name := range []string{"NotFound", "MethodNotAllowed"} {
		if c.Doc.Components.Responses[name] == nil {
			t.Errorf("components.responses has no %s", name)
		}
	}
	if h := c.Operation.Responses.Status(429).Value.Headers["Retry-After"]; h == nil {
		t.Error("429 does not document a Retry-After header")
	}
	if h := c.Operation.Responses.Status(401).Value.Headers["WWW-Authenticate"]; h == nil || !h.Value.Required {
		t.Error("401 does not document a required WWW-Authenticate header")
	}
	if c.MaxViolations != 50 {
		t.Errorf("Error.errors has maxItems %d, want 50", c.MaxViolations)
	}
}

// TestEmbeddedContractsAgree guards against a stale gen/: the spec that
// oapi-codegen embedded must be the one in openapi.yaml.
func TestEmbeddedContractsAgree(t *testing.T) {
	generated, err := echoserver.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	written, err := openapi3.NewLoader().LoadFromData(benji.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	// oapi-codegen capitalises operation ids in the copy it embeds.
	for path, item := range written.Paths.Map() {
		for method, op := range item.Operations() {
			generated.Paths.Value(path).GetOperation(method).OperationID = op.OperationID
		}
	}
	a, _ := json.Marshal(generated)
	b, _ := json.Marshal(written)
	if string(a) != string(b) {
		t.Error("echoserver.GetSpec() differs from openapi.yaml: run go generate ./...")
	}
	onDisk, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(onDisk) != string(benji.OpenAPI()) {
		t.Error("benji.OpenAPI() differs from openapi.yaml on disk")
	}
}

// TestEveryExampleMatchesItsSchema checks each named example of the request
// body and of every response against the schema beside it (kin-openapi's
// document validation checks them too; this names the failing one).
func TestEveryExampleMatchesItsSchema(t *testing.T) {
	c := loadContract(t)
	check := func(name string, media *openapi3.MediaType) {
		examples := map[string]any{}
		for key, ex := range media.Examples {
			examples[key] = ex.Value.Value
		}
		if media.Example != nil {
			examples["example"] = media.Example
		}
		if len(examples) == 0 {
			t.Errorf("%s has no example", name)
		}
		for key, value := range examples {
			opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
			opts = append(opts, c.Doc.GetSchemaValidationOptions()...)
			if err := media.Schema.Value.VisitJSON(value, opts...); err != nil {
				t.Errorf("%s example %q: %v", name, key, contract.FieldErrors(err))
			}
		}
	}
	check("request body", c.Operation.RequestBody.Value.Content.Get("application/json"))
	for status, ref := range c.Operation.Responses.Map() {
		for mime, media := range ref.Value.Content {
			check("response "+status+" "+mime, media)
		}
	}
}

func TestSeedExamplesAreValid(t *testing.T) {
	c := loadContract(t)
	requests := []struct{ name, body string }{
		{"connect", seedConnect},
		{"connect with user_external_id", seedConnectKnownUser},
		{"transfer with an action", seedTransfer},
	}
	for _, tc := range requests {
		t.Run(tc.name, func(t *testing.T) {
			if err := validateRequest(t, c, tc.body); err != nil {
				t.Errorf("the seed's example request is rejected: %v", contract.FieldErrors(err))
			}
		})
	}
	t.Run("response", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, contract.CreateTokenPath, nil)
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: c.Route},
			Status:                 http.StatusOK,
			Header:                 http.Header{"Content-Type": {"application/json"}},
			Options:                c.Options(nil),
		}
		input.SetBodyBytes([]byte(seedResponse))
		if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
			t.Errorf("the seed's response is rejected: %v", err)
		}
	})
}

func TestBadBodiesAreRejected(t *testing.T) {
	c := loadContract(t)
	tests := []struct {
		reason    string
		body      string
		wantField string
	}{
		{"mode 2 is not a documented mode", `{"mode":2,"display_name":"x"}`, "/mode"},
		{"mode sent as a string", `{"mode":"3","display_name":"x"}`, "/mode"},
		{"mode as a fraction", `{"mode":1.5,"display_name":"x"}`, "/mode"},
		{"mode missing", `{"display_name":"x"}`, "/mode"},
		{"display_name missing", `{"mode":1}`, "/display_name"},
		{"display_name not a string", `{"mode":1,"display_name":7}`, "/display_name"},
		{"partnership_id neither string nor integer", `{"mode":1,"display_name":"x","partnership_id":4.5}`, "/partnership_id"},
		{"partnership_id empty", `{"mode":1,"display_name":"x","partnership_id":""}`, "/partnership_id"},
		{"user_external_id not a string", `{"mode":1,"display_name":"x","user_external_id":1234}`, "/user_external_id"},
		{"partner_id not an integer", `{"mode":1,"display_name":"x","partner_id":"3"}`, "/partner_id"},
		{"custom_attributes not an object", `{"mode":3,"display_name":"x","custom_attributes":[]}`, "/custom_attributes"},
		{"actions not an array", `{"mode":3,"display_name":"x","custom_attributes":{"actions":{}}}`, "/custom_attributes/actions"},
		{"action mode Connect", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":1,"amount":5}]}}`, "/custom_attributes/actions/0/mode"},
		{"action mode as a string", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":"3","amount":5}]}}`, "/custom_attributes/actions/0/mode"},
		{"action amount as a string", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":"1000"}]}}`, "/custom_attributes/actions/0/amount"},
		{"action amount zero", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":0}]}}`, "/custom_attributes/actions/0/amount"},
		{"action amount fractional", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":10.5}]}}`, "/custom_attributes/actions/0/amount"},
		{"action amount missing", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3}]}}`, "/custom_attributes/actions/0/amount"},
		{"allows_editing not a boolean", `{"mode":3,"display_name":"x","custom_attributes":{"actions":[{"mode":3,"amount":5,"allows_editing":"yes"}]}}`, "/custom_attributes/actions/0/allows_editing"},
		{"body is an array", `[]`, ""},
		{"body is a string", `"mode"`, ""},
		{"body is null", `null`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			err := validateRequest(t, c, tc.body)
			if err == nil {
				t.Fatalf("accepted %s", tc.body)
			}
			fields := contract.FieldErrors(err)
			if !slices.ContainsFunc(fields, func(f contract.FieldError) bool { return f.Field == tc.wantField }) {
				t.Errorf("violations %v do not name field %q", fields, tc.wantField)
			}
		})
	}
}

func TestUnknownFieldsAreAccepted(t *testing.T) {
	c := loadContract(t)
	body := `{"mode":1,"display_name":"x","something_new":{"a":1},"custom_attributes":{"theme":"dark"}}`
	if err := validateRequest(t, c, body); err != nil {
		t.Errorf("unknown fields are rejected: %v", err)
	}
}
