package client

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/benjiconnect/benji/gen"
)

// Mode is the connection mode of a Connect flow, and the kind of an Action.
type Mode int32

// The modes the contract documents. An Action takes Transfer or Redeem.
const (
	Connect  = Mode(gen.Connect)
	Transfer = Mode(gen.Transfer)
	Redeem   = Mode(gen.Redeem)
)

// String names the mode: "Connect", "Transfer", "Redeem", or "Mode(n)".
func (m Mode) String() string {
	switch m {
	case Connect:
		return "Connect"
	case Transfer:
		return "Transfer"
	case Redeem:
		return "Redeem"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Request describes the Connect flow a token opens.
type Request struct {
	// Mode is required: Connect, Transfer or Redeem.
	Mode Mode
	// DisplayName is the partnership name shown in the Connect UI. The
	// reference marks it required; it is always sent.
	DisplayName string
	// PartnershipID is the partnership on the Benji platform; empty is not
	// sent. (The API also takes a number; the client sends a string.)
	PartnershipID string
	// UserExternalID is the partner's own id for the user; when set, the flow
	// skips the partner-side user authorization. Empty is not sent.
	UserExternalID string
	// Actions are the transfers or redemptions the flow offers.
	Actions []Action
	// PartnerID and MerchantID are sent by every example request of
	// Benji's reference, which does not document them; zero is not sent.
	PartnerID  int64
	MerchantID int64
	// Extra holds top-level fields the client has no field for (a newer
	// API's, say), each encoded with encoding/json as given. An extra
	// field named like a typed one ("partnership_id", "mode", ...)
	// replaces the typed field's value: that is how to send
	// partnership_id as a number, as the reference's examples do.
	Extra map[string]any
}

// Action is one transfer or redemption offered in the flow.
type Action struct {
	// Mode is Transfer or Redeem.
	Mode Mode
	// Amount is the number of points.
	Amount int64
	// AllowsEditing lets the user change the amount in the Connect UI.
	AllowsEditing bool
}

// encode makes the request body: the typed fields as the generated type
// encodes them, with Extra's fields over them.
func (r Request) encode() ([]byte, error) {
	body, err := json.Marshal(r.wire())
	if err != nil || len(r.Extra) == 0 {
		return body, err
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	for name, value := range r.Extra {
		raw, err := json.Marshal(value)
		if err != nil {
			return nil, fmt.Errorf("extra field %q: %w", name, err)
		}
		fields[name] = raw
	}
	return json.Marshal(fields)
}

// wire converts the request to the contract's generated type.
func (r Request) wire() gen.TokenRequest {
	w := gen.TokenRequest{Mode: gen.Mode(r.Mode), DisplayName: r.DisplayName}
	if r.PartnershipID != "" {
		var id gen.PartnershipID
		_ = id.FromPartnershipID0(r.PartnershipID) // cannot fail for a string
		w.PartnershipId = &id
	}
	if r.UserExternalID != "" {
		w.UserExternalId = &r.UserExternalID
	}
	if r.PartnerID != 0 {
		w.PartnerId = &r.PartnerID
	}
	if r.MerchantID != 0 {
		w.MerchantId = &r.MerchantID
	}
	if len(r.Actions) > 0 {
		actions := make([]gen.Action, len(r.Actions))
		for i, a := range r.Actions {
			editing := a.AllowsEditing
			actions[i] = gen.Action{Mode: gen.ActionMode(a.Mode), Amount: a.Amount, AllowsEditing: &editing}
		}
		w.CustomAttributes = &gen.CustomAttributes{Actions: &actions}
	}
	return w
}
