package policy

import (
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// pinnedRegions pins nested networks across endpoints.
func pinnedRegions() []config.Endpoint {
	eps := regions()
	eps[0].Networks = []string{"10.0.0.0/8"}                     // us-east
	eps[2].Networks = []string{"10.1.0.0/16"}                    // eu-central
	eps[3].Networks = []string{"10.1.2.0/24"}                    // ap-northeast
	eps[1].Networks = []string{"10.1.2.128/25", "2001:db8::/32"} // us-west
	eps[4].Networks = []string{"2001:db8:1::/48"}                // sa-east
	return eps
}

func noGeo(addr string, bits int) *Client { return &Client{Addr: mustAddr(addr), Bits: bits} }

func TestPins(t *testing.T) {
	de := func(addr string, bits int, netw string) *Client { return client(addr, bits, locGermany, netw) }
	s := compile(t, "latency", svcOpts{}, pinnedRegions()...)
	run(t, s, []selectCase{
		// 10.2.0.0/15 is the widest network around 10.2.3.4 that only the /8 holds.
		{name: "/8", c: noGeo("10.2.3.4", 32), want: []string{"us-east"}, wantScope: 15, wantRule: "network pin"},
		{name: "/8 before nested /16", c: noGeo("10.0.0.1", 32), want: []string{"us-east"}, wantScope: 16},
		{name: "/16 beats /8", c: noGeo("10.1.5.5", 32), want: []string{"eu-central"}, wantScope: 22},
		{name: "/24 beats /16", c: noGeo("10.1.2.3", 32), want: []string{"ap-northeast"}, wantScope: 25},
		{name: "/25 beats /24", c: noGeo("10.1.2.200", 32), want: []string{"us-west"}, wantScope: 25},
		{name: "ECS /24 cannot match a /25", c: noGeo("10.1.2.0", 24), want: []string{"ap-northeast"}, wantScope: 24},
		{name: "ECS /20 takes the /16", c: noGeo("10.1.0.0", 20), want: []string{"eu-central"}, wantScope: 20},
		{name: "IPv4-mapped", c: noGeo("::ffff:10.1.2.3", 128), want: []string{"ap-northeast"}, wantScope: 25},
		{name: "v6 /48", c: noGeo("2001:db8:1:2::1", 128), want: []string{"sa-east"}, wantScope: 48},
		{name: "v6 /32", c: noGeo("2001:db8:2::", 56), want: []string{"us-west"}, wantScope: 47},
		{name: "pins beat location", c: de("10.1.2.3", 32, "10.1.0.0/16"), want: []string{"ap-northeast"}, wantScope: 25},
		{name: "unhealthy pin falls through to the policy", down: []string{"ap-northeast"}, c: de("10.1.2.3", 32, "10.1.2.0/24"),
			want: []string{"eu-central"}, wantScope: 25, wantRule: "latency: nearest"},
		{name: "unhealthy pin, no location", down: []string{"ap-northeast"}, c: noGeo("10.1.2.3", 32),
			want: []string{"us-east"}, wantScope: 25, wantRule: "latency: first healthy"},
		{name: "unhealthy /16 does not fall to the /8", down: []string{"eu-central"}, c: de("10.1.5.5", 32, "10.1.0.0/16"),
			want: []string{"us-east"}, wantScope: 22, wantRule: "latency: nearest"},
		{name: "outside every pin: location scope", c: de("11.0.0.1", 32, "11.0.0.0/24"), want: []string{"eu-central"}, wantScope: 24},
		{name: "outside every pin, no location: scope excludes pins", c: noGeo("11.0.0.1", 32), want: []string{"us-east"}, wantScope: 8},
		{name: "outside every pin, far away", c: noGeo("192.0.2.1", 32), want: []string{"us-east"}, wantScope: 1},
		{name: "location network holding a pin", c: de("10.1.2.0", 24, "10.0.0.0/8"), want: []string{"ap-northeast"}, wantScope: 24},
		{name: "outside v6 pins", c: noGeo("2001:db9::1", 128), want: []string{"us-east"}, wantScope: 32},
		{name: "far outside v6 pins", c: noGeo("3000::1", 128), want: []string{"us-east"}, wantScope: 4},
	})

	var tr Trace
	s.Select(downIDs(s, "ap-northeast"), noGeo("10.1.2.3", 32), nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepPin, "client 10.1.2.3/32 is in network 10.1.2.0/24, pinned to ap-northeast (unhealthy)") ||
		!hasStep(&tr, StepFallback, "pinned endpoint is unhealthy: falling through to the latency policy") ||
		!hasStep(&tr, StepScope, "scope 25: the answer holds for 10.1.2.0/25") {
		t.Errorf("trace:\n%s", dumpTrace(&tr))
	}
	tr = Trace{}
	s.Select(nil, noGeo("11.0.0.1", 32), nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepPin, "no pinned network holds 11.0.0.1/32") {
		t.Errorf("trace:\n%s", dumpTrace(&tr))
	}

	// Pins come first under every policy.
	for _, p := range []string{"failover", "geo", "latency", "geoproximity", "weighted", "multivalue"} {
		t.Run(p, func(t *testing.T) {
			ps := compile(t, p, svcOpts{}, pinnedRegions()...)
			got, scope := ps.Select(nil, client("10.1.2.3", 32, locJapan, "10.0.0.0/8"), newRand(), make([]int, 0, 8), nil)
			if len(got) != 1 || ps.ID(got[0]) != "ap-northeast" || scope != 25 {
				t.Errorf("Select = %v scope %d", ids(ps, got), scope)
			}
		})
	}

	// Only v4 pins: a v6 client's scope is the policy's.
	v4only := compile(t, "weighted", svcOpts{}, ep("a", networks("192.0.2.0/24")), ep("b"))
	if _, scope := v4only.Select(nil, noGeo("2001:db8::1", 128), newRand(), make([]int, 0, 8), nil); scope != 0 {
		t.Errorf("v6 client scope %d, want 0", scope)
	}
	// No address at all: no pin, scope 0.
	if got, scope := v4only.Select(nil, anyone(), newRand(), make([]int, 0, 8), nil); len(got) != 1 || scope != 0 {
		t.Errorf("no address: %v scope %d", got, scope)
	}
}

func TestPinsEdges(t *testing.T) {
	// Pins at both ends of the address space, and the whole space.
	s := compile(t, "failover", svcOpts{},
		ep("all", networks("0.0.0.0/0", "::/0")),
		ep("low", networks("0.0.0.0/8")),
		ep("high", networks("255.255.255.255/32", "ffff::/16")),
	)
	run(t, s, []selectCase{
		{name: "low", c: noGeo("0.1.2.3", 32), want: []string{"low"}, wantScope: 8},
		{name: "high", c: noGeo("255.255.255.255", 32), want: []string{"high"}, wantScope: 32},
		{name: "below high", c: noGeo("255.255.255.254", 32), want: []string{"all"}, wantScope: 32},
		{name: "middle", c: noGeo("128.0.0.1", 32), want: []string{"all"}, wantScope: 2}, // 128.0.0.0/1 holds the /32 pin
		{name: "v6 high", c: noGeo("ffff:1::", 64), want: []string{"high"}, wantScope: 16},
		{name: "v6 all", c: noGeo("2001:db8::", 64), want: []string{"all"}, wantScope: 1},
		{name: "/0 pin unhealthy", down: []string{"all"}, c: noGeo("128.0.0.1", 32), want: []string{"low"}, wantScope: 2},
	})
}
