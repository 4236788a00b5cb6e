// Package contract prepares the embedded OpenAPI contract once per process for
// the code that enforces it: the mock server validates requests and responses
// with it, the client validates requests before sending them. It also turns
// kin-openapi's validation errors into field errors that people can read.
package contract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/benjiconnect/benji"
)

// CreateTokenPath is the path of the createToken operation.
const CreateTokenPath = "/verify/token/create"

// Contract is a parsed and validated OpenAPI document, prepared for request and
// response validation of the createToken operation. It is read-only after
// Parse returns and safe for concurrent use.
type Contract struct {
	// Doc is the parsed document. Callers must not modify it.
	Doc *openapi3.T
	// Version is the document's info.version.
	Version string
	// Hash is a short hex digest of the document's bytes; it tells two builds
	// of the contract apart when their versions are equal.
	Hash string
	// Operation is the createToken operation.
	Operation *openapi3.Operation
	// Route is the createToken route, ready for openapi3filter inputs: it
	// skips kin-openapi's router, whose server matching would reject requests
	// to any host the document does not list.
	Route *routers.Route
	// BodySchema is the request body schema of createToken.
	BodySchema *openapi3.Schema
	// Methods lists the methods the document declares for CreateTokenPath.
	Methods []string
	// BearerOnly reports that the operation's security is exactly one
	// requirement of one HTTP bearer scheme, so that checking the bearer
	// token is all that openapi3filter.ValidateSecurityRequirements would do.
	BearerOnly bool
	// MaxViolations is how many violations a 400 lists at most: the
	// maxItems of the error body's errors array.
	MaxViolations int

	// responseRequest and responseOptions are what CheckResponse gives
	// kin-openapi: it wants a request, which it only reads the method of.
	responseRequest *http.Request
	responseOptions *openapi3filter.Options
	schemaOptions   []openapi3.SchemaValidationOption
	// bodyOptions are the options ValidateBody passes, made once.
	bodyOptions []openapi3.SchemaValidationOption
	// quickBody is the request body schema compiled for the quick check;
	// nil when it uses what the quick check does not implement.
	quickBody *quickSchema
	// quickResponses holds, for each documented status that declares no
	// headers, its media types' compiled schemas.
	quickResponses map[int]quickResponse
}

// load parses the embedded contract on first use. The result is immutable, so
// sharing it process-wide is safe: every mock server and client reuses it.
var load = sync.OnceValues(func() (*Contract, error) {
	return Parse(benji.OpenAPI())
})

// Load returns the embedded contract, parsed and validated once per process.
func Load() (*Contract, error) {
	return load()
}

// Parse loads an OpenAPI document from YAML or JSON, validates it (examples
// included) and prepares it for validation of the createToken operation.
func Parse(data []byte) (*Contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load contract: %w", err)
	}
	// kin-openapi knows no uuid format unless told; RFC 9562 admits the
	// version-1 tokens the reference shows. The quick check uses the same
	// expression.
	formats := map[string]stringFormat{"uuid": {pattern: openapi3.FormatOfStringForUUIDOfRFC9562, match: uuidRFC9562}}
	for name, f := range formats {
		doc.SetStringFormatValidator(name, openapi3.NewRegexpFormatValidator(f.pattern))
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate contract: %w", err)
	}

	path := doc.Paths.Value(CreateTokenPath)
	if path == nil || path.Post == nil {
		return nil, fmt.Errorf("contract: no POST %s", CreateTokenPath)
	}
	op := path.Post
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil, fmt.Errorf("contract: POST %s has no request body", CreateTokenPath)
	}
	media := op.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return nil, fmt.Errorf("contract: POST %s has no application/json body schema", CreateTokenPath)
	}
	sum := sha256.Sum256(data)
	c := &Contract{
		Doc:       doc,
		Version:   doc.Info.Version,
		Hash:      hex.EncodeToString(sum[:])[:12],
		Operation: op,
		Route: &routers.Route{
			Spec:      doc,
			Path:      CreateTokenPath,
			PathItem:  path,
			Method:    http.MethodPost,
			Operation: op,
		},
		BodySchema:    media.Schema.Value,
		schemaOptions: doc.GetSchemaValidationOptions(),
	}
	c.responseRequest = &http.Request{Method: http.MethodPost, Header: http.Header{}}
	c.responseOptions = c.Options(openapi3filter.NoopAuthenticationFunc)
	if c.MaxViolations, err = maxViolations(doc); err != nil {
		return nil, err
	}
	c.bodyOptions = append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsRequest()}, c.schemaOptions...)
	for method := range path.Operations() {
		c.Methods = append(c.Methods, method)
	}
	if sec := op.Security; sec != nil && len(*sec) == 1 && len((*sec)[0]) == 1 {
		for name, scopes := range (*sec)[0] {
			scheme := doc.Components.SecuritySchemes[name]
			c.BearerOnly = len(scopes) == 0 && scheme != nil && scheme.Value != nil &&
				scheme.Value.Type == "http" && strings.EqualFold(scheme.Value.Scheme, "bearer")
		}
	}
	c.quickBody = compileQuick(c.BodySchema, formats)
	c.quickResponses = map[int]quickResponse{}
	for code, ref := range op.Responses.Map() {
		status, err := strconv.Atoi(code)
		if err != nil || ref.Value == nil || len(ref.Value.Headers) > 0 {
			continue
		}
		media := map[*openapi3.MediaType]*quickSchema{}
		for _, m := range ref.Value.Content {
			if m.Schema != nil {
				if q := compileQuick(m.Schema.Value, formats); q != nil {
					media[m] = q
				}
			}
		}
		c.quickResponses[status] = quickResponse{content: ref.Value.Content, media: media}
	}
	return c, nil
}

// maxViolations reads the cap on a 400's errors from the error schema.
func maxViolations(doc *openapi3.T) (int, error) {
	errSchema := doc.Components.Schemas["Error"]
	if errSchema == nil || errSchema.Value == nil || errSchema.Value.Properties["errors"] == nil {
		return 0, errors.New("contract: no Error schema with an errors array")
	}
	list := errSchema.Value.Properties["errors"].Value
	if list.MaxItems == nil || *list.MaxItems < 1 || *list.MaxItems > 1000 {
		return 0, errors.New("contract: Error.errors needs a maxItems between 1 and 1000, the cap on violations listed")
	}
	return int(*list.MaxItems), nil
}

// Options returns fresh openapi3filter options for this contract: every
// violation reported, no defaults written into bodies, undocumented response
// statuses rejected, and the document's format validators in force. auth
// checks the security requirements of the operation.
func (c *Contract) Options(auth openapi3filter.AuthenticationFunc) *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:              true,
		SkipSettingDefaults:     true,
		IncludeResponseStatus:   true,
		AuthenticationFunc:      auth,
		SchemaValidationOptions: c.schemaOptions,
	}
}

// ValidateBody validates a decoded JSON value (as encoding/json decodes into
// an any) against the createToken request body schema and returns every
// violation, or nil when there is none.
func (c *Contract) ValidateBody(value any) []FieldError {
	if err := c.BodySchema.VisitJSON(value, c.bodyOptions...); err != nil {
		return FieldErrors(err)
	}
	return nil
}

// QuickValidBody reports whether body is shown valid against the createToken
// request body schema by the quick check, without decoding it. False means
// "not shown": decode the body and call ValidateBody for the answer.
func (c *Contract) QuickValidBody(body []byte) bool {
	return c.quickBody != nil && c.quickBody.quickValid(body)
}

// QuickValidResponse reports whether an answer with this status, Content-Type
// and body is shown to match the contract by the quick check. False means
// "not shown": ask openapi3filter.ValidateResponse.
func (c *Contract) QuickValidResponse(status int, contentType string, body []byte) bool {
	r, ok := c.quickResponses[status]
	if !ok || contentType == "" {
		return false
	}
	media := r.content[contentType] // the media type as the contract spells it: no parsing
	if media == nil {
		media = r.content.Get(contentType)
	}
	q := r.media[media]
	return q != nil && q.quickValid(body)
}

type quickResponse struct {
	content openapi3.Content
	media   map[*openapi3.MediaType]*quickSchema
}

// AcceptsMediaType reports whether the createToken request body may be sent
// with the given Content-Type header value.
func (c *Contract) AcceptsMediaType(contentType string) bool {
	if contentType == "" {
		return false
	}
	content := c.Operation.RequestBody.Value.Content
	// The media type as the contract spells it needs no parsing.
	return content[contentType] != nil || content.Get(contentType) != nil
}

// DocumentsStatus reports whether the contract documents status as a response
// of createToken.
func (c *Contract) DocumentsStatus(status int) bool {
	return c.Operation.Responses.Status(status) != nil
}
