package config

import (
	"encoding/json"
	"testing"
	"time"
)

// TestDurationJSONRoundTrip: a document encoded for the API decodes back
// with encoding/json, durations included.
func TestDurationJSONRoundTrip(t *testing.T) {
	in := Check{Name: "c", Type: CheckTCP, Address: "127.0.0.1:1", Interval: Duration(1500 * time.Millisecond), Timeout: Duration(time.Second)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Check
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Interval != in.Interval || out.Timeout != in.Timeout {
		t.Errorf("round trip: %v %v, want %v %v", out.Interval, out.Timeout, in.Interval, in.Timeout)
	}
	if err := json.Unmarshal([]byte(`{"interval": "5q"}`), &out); err == nil {
		t.Error("a bad duration decoded without error")
	}
}
