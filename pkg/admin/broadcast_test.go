package admin_test

import (
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestBroadcaster: every subscriber gets each event with its type named
// after its data; one that does not read loses events without holding
// the others up; a subscription ends when its done channel closes, and
// every one when the Broadcaster closes.
func TestBroadcaster(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b := admin.NewBroadcaster(func() time.Time { return at })
	reader, slow, gone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	events, lagging, left := b.Subscribe(reader), b.Subscribe(slow), b.Subscribe(gone)
	close(gone)
	if _, ok := <-left; ok {
		t.Error("a subscription whose done channel closed got an event")
	}
	sent := []admin.EventData{
		admin.EndpointStatus{Service: "www.example.com.", Endpoint: "us-east", Reason: "override down"},
		admin.ConfigApplied{Revision: 7},
		admin.MemberJoined{Member: member.Member{ID: "n2"}},
		admin.MemberLeft{Member: member.Member{ID: "n2"}},
	}
	wantTypes := []string{"health", "config", "member_join", "member_leave"}
	for range 100 {
		for i, d := range sent {
			b.Send(d)
			ev := <-events
			if ev.Type != wantTypes[i] || !ev.At.Equal(at) || !reflect.DeepEqual(ev.Data, d) {
				t.Fatalf("event %+v, want type %s at %v with %+v", ev, wantTypes[i], at, d)
			}
		}
	}
	if n := len(lagging); n != 64 {
		t.Errorf("the subscriber that does not read holds %d events, want its buffer of 64", n)
	}
	b.Close()
	if _, ok := <-events; ok {
		t.Error("a subscription is still open after Close")
	}
	if _, ok := <-b.Subscribe(reader); ok {
		t.Error("a subscription after Close is open")
	}
	if n := b.Subscribers(); n != 0 {
		t.Errorf("%d subscribers after Close", n)
	}
	close(reader)
	close(slow)
}

// TestEventsMatchOpenAPI: each event's data encodes with the fields of
// the schema api/openapi.yaml gives it, and no others, and reads back
// into its own type.
func TestEventsMatchOpenAPI(t *testing.T) {
	src, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		schema string
		data   admin.EventData
	}{
		{"EndpointStatus", admin.EndpointStatus{Service: "s.", Endpoint: "e", Check: "c", Healthy: true, Since: now, Reason: "r", Override: &health.Override{State: "down", At: now}}},
		{"ConfigApplied", admin.ConfigApplied{Revision: 3}},
		{"Member", admin.MemberJoined{Member: member.Member{ID: "n", Region: "r", DNS: []string{"127.0.0.1:53"}, Admin: "http://127.0.0.1:8300", Version: "v", Revision: 1, StartedAt: now, LastSeen: now}}},
		{"Member", admin.MemberLeft{Member: member.Member{ID: "n", Region: "r", DNS: []string{}, Admin: "a", Version: "v", Revision: 1, StartedAt: now, LastSeen: now}}},
	} {
		b, err := json.Marshal(admin.NewEvent(now, tc.data))
		if err != nil {
			t.Fatal(err)
		}
		var back admin.Event
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.Data, tc.data) {
			t.Errorf("%s read back as %#v (%v), want %#v", b, back.Data, err, tc.data)
		}
		var ev struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		props := doc.Components.Schemas[tc.schema].Properties
		if len(props) == 0 {
			t.Fatalf("api/openapi.yaml has no schema %s", tc.schema)
		}
		for k := range ev.Data {
			if _, ok := props[k]; !ok {
				t.Errorf("%s event: field %q is not in schema %s (%v)", ev.Type, k, tc.schema, slices.Sorted(maps.Keys(props)))
			}
		}
		if tc.schema != "EndpointStatus" && len(ev.Data) != len(props) {
			t.Errorf("%s event: fields %v, want those of %s: %v", ev.Type, slices.Sorted(maps.Keys(ev.Data)), tc.schema, slices.Sorted(maps.Keys(props)))
		}
	}
}
