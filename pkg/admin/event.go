package admin

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/member"
)

// Event is one entry of GET /v1/events. Make one with NewEvent, which
// names its type after its data.
type Event struct {
	// Type is health, config, member_join, member_leave or dnssec.
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	Data EventData `json:"data"`
}

// EventData is what an event says: an EndpointStatus (health), a
// ConfigApplied (config), a MemberJoined, a MemberLeft or a
// DNSSECChanged (dnssec).
type EventData interface {
	// EventType is the event's type on the stream.
	EventType() string
}

// NewEvent is the event data says, at at.
func NewEvent(at time.Time, data EventData) Event {
	return Event{Type: data.EventType(), At: at, Data: data}
}

// EventType of an endpoint whose health changed: "health".
func (EndpointStatus) EventType() string { return "health" }

// ConfigApplied says the node serves a new revision of the traffic
// document.
type ConfigApplied struct {
	Revision int64 `json:"revision"`
}

// EventType is "config".
func (ConfigApplied) EventType() string { return "config" }

// MemberJoined is a node that joined the cluster; its JSON is the
// member's.
type MemberJoined struct{ member.Member }

// EventType is "member_join".
func (MemberJoined) EventType() string { return "member_join" }

// MemberLeft is a node that left the cluster (stopped, or cut off for
// longer than its lease).
type MemberLeft struct{ member.Member }

// EventType is "member_leave".
func (MemberLeft) EventType() string { return "member_leave" }

// UnmarshalJSON reads an event as the stream sends it, its data into
// the type its type names; an event of a type this version does not
// know keeps its data as raw JSON.
func (e *Event) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type string          `json:"type"`
		At   time.Time       `json:"at"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var decode func(json.RawMessage) (EventData, error)
	switch raw.Type {
	case EndpointStatus{}.EventType():
		decode = decodeEventData[EndpointStatus]
	case ConfigApplied{}.EventType():
		decode = decodeEventData[ConfigApplied]
	case MemberJoined{}.EventType():
		decode = decodeEventData[MemberJoined]
	case MemberLeft{}.EventType():
		decode = decodeEventData[MemberLeft]
	case DNSSECChanged{}.EventType():
		decode = decodeEventData[DNSSECChanged]
	default:
		*e = Event{Type: raw.Type, At: raw.At, Data: UnknownEvent{Name: raw.Type, Raw: raw.Data}}
		return nil
	}
	data, err := decode(raw.Data)
	if err != nil {
		return fmt.Errorf("reading the data of a %s event: %w", raw.Type, err)
	}
	*e = Event{Type: raw.Type, At: raw.At, Data: data}
	return nil
}

// decodeEventData reads an event's data as a T, held by value, as
// NewEvent holds it.
func decodeEventData[T EventData](b json.RawMessage) (EventData, error) {
	var d T
	err := json.Unmarshal(b, &d)
	return d, err
}

// UnknownEvent is the data of an event of a type this version does not
// know, as sent.
type UnknownEvent struct {
	Name string
	Raw  json.RawMessage
}

// EventType is the type the event was sent with.
func (u UnknownEvent) EventType() string { return u.Name }

// MarshalJSON sends the data as it came.
func (u UnknownEvent) MarshalJSON() ([]byte, error) { return u.Raw, nil }
