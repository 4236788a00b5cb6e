package benji

// FieldError is one violation of the contract, named by a JSON pointer into
// the request body ("/custom_attributes/actions/0/mode"). It is the one
// definition of the contract's FieldError schema: the generated models
// (gen), the client (client.FieldError) and the contract checks use it
// under their own names, as aliases.
type FieldError struct {
	// Field is a JSON pointer (RFC 6901) to the offending value; empty for
	// the body itself.
	Field string `json:"field"`
	// Message says what is wrong with the value, for people.
	Message string `json:"message"`
}

// String returns "field: message", or "body: message" for the body itself
// (the wording of the mock's messages).
func (f FieldError) String() string {
	if f.Field == "" {
		return "body: " + f.Message
	}
	return f.Field + ": " + f.Message
}
