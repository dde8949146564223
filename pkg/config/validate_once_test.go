package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestValidationHappensOnce proves that every fault policy.Compile and
// resolver.Build used to catch for themselves is caught by ParseTraffic,
// with a place: they no longer check the document, so this is the one
// place each rule lives. A row names the check that was removed.
func TestValidationHappensOnce(t *testing.T) {
	one := func(endpoints string) string {
		return svc + "  - {name: www.example.com., policy: geo, endpoints: [" + endpoints + "]}\n"
	}
	cases := []struct {
		removed string // the check that is gone, and where it was
		doc     string
		field   string
		message string
	}{
		{"policy.Compile: unknown policy", svc + "  - {name: www.example.com., policy: random, endpoints: [{id: a, a: [192.0.2.1]}]}\n",
			"services[0].policy", `"random" is not one of failover, geo, latency, geoproximity, weighted, multivalue`},
		{"policy.Compile: unknown policy (empty)", svc + "  - {name: www.example.com., endpoints: [{id: a, a: [192.0.2.1]}]}\n",
			"services[0].policy", "must be set (failover, geo, latency, geoproximity, weighted, multivalue)"},
		{"policy.Compile: no endpoints", svc + "  - {name: www.example.com., policy: failover}\n",
			"services[0].endpoints", "needs at least one endpoint"},
		{"policy.Compile: max_answers above 8", svc + "  - {name: www.example.com., policy: multivalue, max_answers: 9, endpoints: [{id: a, a: [192.0.2.1]}]}\n",
			"services[0].max_answers", "9 must be between 1 and 8"},
		{"policy.Compile: max_answers negative", svc + "  - {name: www.example.com., policy: failover, max_answers: -2, endpoints: [{id: a, a: [192.0.2.1]}]}\n",
			"services[0].max_answers", "-2 must be between 1 and 8"},
		{"policy.compilePins: network does not parse", one("{id: a, a: [192.0.2.1], networks: [10.0.0.0/33]}"),
			"services[0].endpoints[0].networks[0]", `"10.0.0.0/33" is not a network in CIDR notation`},
		{"policy.compilePins: host bits (masked there)", one("{id: a, a: [192.0.2.1], networks: [10.1.2.3/16]}"),
			"services[0].endpoints[0].networks[0]", "10.1.2.3/16 has host bits set; the network is 10.1.0.0/16"},
		{"policy.compilePins: network pinned to two endpoints", one("{id: a, a: [192.0.2.1], networks: [10.0.0.0/8]}, {id: b, a: [192.0.2.2], networks: [10.0.0.0/8]}"),
			"services[0].endpoints[1].networks[0]", `network 10.0.0.0/8 is already pinned to endpoint "a"`},
		{"policy.compilePins: one network written as IPv4 and as IPv4-mapped IPv6", one(`{id: a, a: [192.0.2.1], networks: [10.0.0.0/8]}, {id: b, a: [192.0.2.2], networks: ["::ffff:10.0.0.0/104"]}`),
			"services[0].endpoints[1].networks[0]", `network 10.0.0.0/8 is already pinned to endpoint "a"`},
		{"policy.Compile: negative weight", svc + "  - {name: www.example.com., policy: weighted, endpoints: [{id: a, a: [192.0.2.1], weight: -1}]}\n",
			"services[0].endpoints[0].weight", "-1 must not be negative"},
		{"policy.Compile: weights total too large", svc + "  - {name: www.example.com., policy: weighted, endpoints: [{id: a, a: [192.0.2.1], weight: 2147483647}, {id: b, a: [192.0.2.2], weight: 1}]}\n",
			"services[0].endpoints[1].weight", "1 makes the service's weights total more than 2147483647"},
		{"policy.Compile: bias above 99", svc + "  - {name: www.example.com., policy: geoproximity, endpoints: [{id: a, a: [192.0.2.1], location: {lat: 1, lon: 2}, bias: 100}]}\n",
			"services[0].endpoints[0].bias", "100 must be between -99 and 99"},
		{"policy.Compile: bias below -99", svc + "  - {name: www.example.com., policy: geoproximity, endpoints: [{id: a, a: [192.0.2.1], location: {lat: 1, lon: 2}, bias: -100}]}\n",
			"services[0].endpoints[0].bias", "-100 must be between -99 and 99"},
		{"policy.Compile: when_all_down names no endpoint", svc + "  - {name: www.example.com., policy: failover, when_all_down: nope, endpoints: [{id: a, a: [192.0.2.1]}]}\n",
			"services[0].when_all_down", `"nope" is not all, none or an endpoint id of this service`},
		{"resolver.Build: service outside every zone", svc + "  - {name: www.example.net., policy: failover, endpoints: [{id: a, a: [192.0.2.1]}]}\n",
			"services[0].name", "www.example.net. is outside every zone of this document"},
		{"resolver.buildService: a address does not parse", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: a, a: [192.0.2]}]}\n",
			"services[0].endpoints[0].a[0]", `"192.0.2" is not an IPv4 address`},
		{"resolver.buildService: aaaa address does not parse", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: a, aaaa: [\"2001:db8::g\"]}]}\n",
			"services[0].endpoints[0].aaaa[0]", `"2001:db8::g" is not an IPv6 address`},
	}
	for _, tc := range cases {
		t.Run(tc.removed, func(t *testing.T) {
			tr, err := ParseTraffic("t.yaml", []byte(tc.doc), "")
			var ve *ValidationError
			if !errors.As(err, &ve) || tr != nil {
				t.Fatalf("ParseTraffic = %v, %v; want the document rejected", tr, err)
			}
			i := slices.IndexFunc(ve.Faults, func(f Fault) bool { return f.Field == tc.field })
			if i < 0 {
				t.Fatalf("no fault at %s in\n%v", tc.field, err)
			}
			if f := ve.Faults[i]; f.Message != tc.message || f.File != "t.yaml" || f.Line == 0 || f.Column == 0 {
				t.Errorf("fault %s, want t.yaml:<line>:<column>: %s: %s", f.Error(), tc.field, tc.message)
			}
		})
	}
}

// TestPinnedNetworksNormalized checks that a network is kept as the
// network it pins: IPv4 written as IPv4, whichever way the document
// wrote it, so policy lays out pins without rewriting them.
func TestPinnedNetworksNormalized(t *testing.T) {
	cases := []struct{ in, want string }{
		{"192.0.2.0/24", "192.0.2.0/24"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{"::FFFF:C000:0200/128", "192.0.2.0/32"},
		{"::ffff:0.0.0.0/96", "0.0.0.0/0"},
		{"2001:DB8::/32", "2001:db8::/32"},
		{"64:ff9b::/96", "64:ff9b::/96"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			doc := svc + `  - {name: www.example.com., policy: geo, endpoints: [{id: a, a: [192.0.2.1], networks: ["` + tc.in + `"]}]}` + "\n"
			tr, err := ParseTraffic("t.yaml", []byte(doc), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(tr.Services[0].Endpoints[0].Networks, ","); got != tc.want {
				t.Errorf("networks %q, want %q", got, tc.want)
			}
		})
	}
}
