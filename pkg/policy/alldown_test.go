package policy

import (
	"slices"
	"testing"
)

func TestWhenAllDown(t *testing.T) {
	de := client("203.0.113.5", 32, locGermany, "203.0.113.0/24")
	pinned := client("192.0.2.9", 32, locJapan, "192.0.2.0/24")
	cases := []struct {
		name      string
		policy    string
		when      string
		c         *Client
		want      []string
		wantScope int
		wantRule  string
		wantStep  string
	}{
		{name: "all: failover fails open to primary", policy: "failover", when: "all", c: de, want: []string{"us-east"}, wantScope: 5, // 203/8 and the pin 192.0.2.0/24 share 4 leading bits
			wantRule: "when_all_down: all (failover: priority 1)", wantStep: "when_all_down is all"},
		{name: "default is all", policy: "failover", when: "", c: de, want: []string{"us-east"}, wantScope: 5, wantRule: "when_all_down: all"},
		{name: "all: latency nearest", policy: "latency", when: "all", c: de, want: []string{"eu-central"}, wantScope: 24,
			wantRule: "when_all_down: all (latency: nearest)"},
		{name: "all: geo country", policy: "geo", when: "all", c: de, want: []string{"eu-central"}, wantScope: 24,
			wantRule: "when_all_down: all (geo: country DE)"},
		{name: "all: pins apply", policy: "latency", when: "all", c: pinned, want: []string{"sa-east"}, wantScope: 24,
			wantRule: "when_all_down: all (network pin)"},
		{name: "none: empty", policy: "latency", when: "none", c: de, want: []string{}, wantRule: "when_all_down: none",
			wantStep: "when_all_down is none"},
		{name: "none ignores pins", policy: "geo", when: "none", c: pinned, want: []string{}},
		{name: "endpoint", policy: "geo", when: "ap-southeast", c: de, want: []string{"ap-southeast"},
			wantRule: "when_all_down: ap-southeast", wantStep: "when_all_down names endpoint ap-southeast"},
		{name: "endpoint ignores pins", policy: "weighted", when: "us-west", c: pinned, want: []string{"us-west"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eps := regions()
			eps[4].Networks = []string{"192.0.2.0/24"} // sa-east
			s := compile(t, tc.policy, svcOpts{whenAllDown: tc.when}, eps...)
			down := make([]bool, s.Endpoints())
			var tr Trace
			got, scope := s.Select(down, tc.c, newRand(), make([]int, 0, 8), &tr)
			if !slices.Equal(ids(s, got), tc.want) || scope != tc.wantScope {
				t.Errorf("Select = %v scope %d, want %v scope %d\n%s", ids(s, got), scope, tc.want, tc.wantScope, dumpTrace(&tr))
			}
			if tc.wantRule != "" && !(tr.Rule == tc.wantRule || tc.wantRule == "when_all_down: all" && len(tr.Rule) > len(tc.wantRule) && tr.Rule[:len(tc.wantRule)] == tc.wantRule) {
				t.Errorf("rule %q, want %q", tr.Rule, tc.wantRule)
			}
			if tc.wantStep != "" && !hasStep(&tr, StepAllDown, tc.wantStep) {
				t.Errorf("no %s step with %q:\n%s", StepAllDown, tc.wantStep, dumpTrace(&tr))
			}
			got2, scope2 := s.Select(down, tc.c, newRand(), make([]int, 0, 8), nil)
			if !slices.Equal(got, got2) || scope != scope2 {
				t.Errorf("untraced Select = %v scope %d", ids(s, got2), scope2)
			}
		})
	}

	// all: weighted and multivalue draw among every endpoint.
	s := compile(t, "multivalue", svcOpts{maxAnswers: 3}, ep("a"), ep("b"), ep("c"))
	got, _ := s.Select(make([]bool, 3), anyone(), newRand(), make([]int, 0, 8), nil)
	if len(got) != 3 {
		t.Errorf("multivalue fail open = %v, want 3 endpoints", got)
	}
	// One healthy endpoint is not "all down".
	got, _ = s.Select([]bool{false, true, false}, anyone(), newRand(), make([]int, 0, 8), nil)
	if !slices.Equal(got, []int{1}) {
		t.Errorf("one healthy = %v", got)
	}
}
