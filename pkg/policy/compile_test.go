package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

func TestCompile(t *testing.T) {
	cfg := validated(t, config.Service{Name: "www.example.com.", Policy: "multivalue", Endpoints: []config.Endpoint{ep("a"), ep("b")}})
	s := Compile(cfg)
	if s.Config() != cfg || s.Endpoints() != 2 || s.ID(1) != "b" || s.MaxAnswers() != 8 || s.String() != "www.example.com. (multivalue)" {
		t.Errorf("accessors: %v %d %q %d %q", s.Config() == cfg, s.Endpoints(), s.ID(1), s.MaxAnswers(), s)
	}
	// A network written as IPv4-mapped IPv6 pins IPv4 clients (config
	// writes it as IPv4).
	s = compile(t, "failover", svcOpts{}, ep("a"), ep("b", networks("10.1.0.0/16", "::ffff:192.0.2.0/120")))
	for _, a := range []string{"10.1.200.1", "192.0.2.77"} {
		if got, scope := s.Select(nil, noGeo(a, 32), nil, make([]int, 0, 8), nil); !slices.Equal(got, []int{1}) || scope == 0 {
			t.Errorf("%s: Select = %v scope %d, want pinned b", a, got, scope)
		}
	}
}

func TestExplain(t *testing.T) {
	s := compile(t, "geo", svcOpts{}, pinnedRegions()...)
	d := s.Explain(downIDs(s, "us-west"), client("198.51.100.7", 32, locCalifornia, "198.51.100.0/24"), nil)
	if !slices.Equal(d.Endpoints, []string{"us-east"}) || !slices.Equal(d.Indexes, []int{0}) || d.Scope != 24 || d.Trace.Rule != "geo: country US" {
		t.Fatalf("Explain = %+v\n%s", d, dumpTrace(&d.Trace))
	}
	for _, want := range []struct{ kind, detail string }{
		{StepClient, "client 198.51.100.7/32 (32 bits known)"},
		{StepClient, `location: country "US", subdivision "CA", continent "NA", 37.77,-122.42, network 198.51.100.0/24`},
		{StepHealth, "5 of 6 endpoints healthy"},
		{StepPin, "no pinned network holds 198.51.100.7/32"},
		{StepLevel, "subdivision US-CA: us-west is unhealthy"},
		{StepFallback, "every endpoint of subdivision US-CA is unhealthy: trying the next level"},
		{StepLevel, "country US: us-east is healthy"},
		{StepChose, "geo: country US"},
		{StepScope, "scope 24: the answer holds for 198.51.100.0/24"},
	} {
		if !hasStep(&d.Trace, want.kind, want.detail) {
			t.Errorf("no %s step %q in\n%s", want.kind, want.detail, dumpTrace(&d.Trace))
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"endpoints":["us-east"]`, `"scope":24`, `"rule":"geo: country US"`, `"kind":"chose","endpoint":"us-east"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	if strings.Contains(string(b), "Indexes") {
		t.Errorf("JSON carries indexes: %s", b)
	}

	// An empty decision still serves "endpoints": [].
	none := compile(t, "failover", svcOpts{whenAllDown: "none"}, ep("a"))
	d = none.Explain([]bool{false}, anyone(), nil)
	if b, _ := json.Marshal(d); !strings.Contains(string(b), `"endpoints":[]`) || d.Trace.Rule != "when_all_down: none" {
		t.Errorf("empty decision: %s", b)
	}
	if !hasStep(&d.Trace, StepScope, "scope 0: the answer does not depend on the client's address") {
		t.Errorf("trace:\n%s", dumpTrace(&d.Trace))
	}
}

// TestSelectAppendsToTrace checks that a trace passed in is appended to,
// and that out's earlier contents are dropped.
func TestSelectAppendsToTrace(t *testing.T) {
	s := compile(t, "failover", svcOpts{}, ep("a"), ep("b"))
	tr := Trace{Steps: []Step{{Kind: "caller", Detail: "resolver step"}}}
	got, _ := s.Select(nil, anyone(), nil, []int{7, 7, 7}, &tr)
	if !slices.Equal(got, []int{0}) || tr.Steps[0].Kind != "caller" || len(tr.Steps) < 3 {
		t.Errorf("got %v, trace\n%s", got, dumpTrace(&tr))
	}
	// Health shorter than the endpoints counts the rest healthy.
	if got, _ := s.Select([]bool{false}, anyone(), nil, nil, nil); !slices.Equal(got, []int{1}) {
		t.Errorf("short health: %v", got)
	}
}
