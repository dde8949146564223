package config

import (
	"errors"
	"strings"
	"testing"
)

// TestZoneRelativeNames: every name written inside a zone (ns, soa mname
// and rname, record names, an endpoint's cname) reads as in a zone file:
// absolute when it ends in a dot, relative to the zone otherwise; faults
// about such names say the rule.
func TestZoneRelativeNames(t *testing.T) {
	const rule = "a name in a zone is relative to the zone unless it ends in a dot, as in zone files"
	// doc fills in one name of a zone that has ns1 (with glue), a
	// wildcard under wild, a delegation of child and a service api.
	doc := func(ns, mname, rname, record, cname string) string {
		return `zones:
  - name: example.com
    soa: {mname: "` + mname + `", rname: "` + rname + `"}
    ns: ["` + ns + `"]
    records:
      - {name: ns1, type: A, data: [192.0.2.53]}
      - {name: "` + record + `", type: TXT, data: ["x"]}
      - {name: "*.wild", type: A, data: [192.0.2.9]}
      - {name: child, type: NS, data: [ns.child.example.net.]}
services:
  - name: api.example.com
    policy: failover
    endpoints: [{id: a, a: [192.0.2.1]}]
  - name: www.example.com.
    policy: failover
    endpoints: [{id: a, cname: "` + cname + `"}]
`
	}
	type names struct{ ns, mname, rname, record, cname string }
	base := names{"ns1", "ns1", "hostmaster", "txt", "api"}
	for _, tc := range []struct {
		name string
		edit func(*names)
		// want is the names as read, or wantFault a fault's text.
		want      names
		wantFault string
	}{
		{name: "relative names", edit: func(*names) {},
			want: names{"ns1.example.com.", "ns1.example.com.", "hostmaster.example.com.", "txt.example.com.", "api.example.com."}},
		{name: "absolute names", edit: func(n *names) {
			*n = names{"ns1.example.net.", "NS1.example.net.", "hostmaster.example.net.", "Txt.example.com.", "lb.example.net."}
		}, want: names{"ns1.example.net.", "ns1.example.net.", "hostmaster.example.net.", "txt.example.com.", "lb.example.net."}},
		{name: "the apex", edit: func(n *names) { n.mname, n.record = "@", "@" },
			want: names{"ns1.example.com.", "example.com.", "hostmaster.example.com.", "example.com.", "api.example.com."}},
		{name: "cname to a wildcard's name", edit: func(n *names) { n.cname = "x.wild" },
			want: names{"ns1.example.com.", "ns1.example.com.", "hostmaster.example.com.", "txt.example.com.", "x.wild.example.com."}},
		{name: "cname below a delegation", edit: func(n *names) { n.cname = "www.child" },
			want: names{"ns1.example.com.", "ns1.example.com.", "hostmaster.example.com.", "txt.example.com.", "www.child.example.com."}},
		{name: "cname to a static record", edit: func(n *names) { n.cname = "ns1" },
			want: names{"ns1.example.com.", "ns1.example.com.", "hostmaster.example.com.", "txt.example.com.", "ns1.example.com."}},

		{name: "ns ending in the zone's name", edit: func(n *names) { n.ns = "ns1.example.com" },
			wantFault: `zones[0].ns[0]: "ns1.example.com" has no trailing dot, so it is ns1.example.com.example.com.; write "ns1.example.com." for the name as it is (` + rule + `)`},
		{name: "ns of another domain without its dot", edit: func(n *names) { n.ns = "ns1.example.net" },
			wantFault: `zones[0].ns[0]: name server ns1.example.net.example.com. is inside the zone but has no A or AAAA record (glue) ("ns1.example.net" has no trailing dot, so it is ns1.example.net.example.com.: ` + rule + `; write "ns1.example.net." for the name as it is)`},
		{name: "mname ending in the zone's name", edit: func(n *names) { n.mname = "ns1.example.com" },
			wantFault: `zones[0].soa.mname: "ns1.example.com" has no trailing dot, so it is ns1.example.com.example.com.; write "ns1.example.com." for the name as it is (` + rule + `)`},
		{name: "rname ending in the zone's name", edit: func(n *names) { n.rname = "hostmaster.EXAMPLE.com" },
			wantFault: `zones[0].soa.rname: "hostmaster.EXAMPLE.com" has no trailing dot, so it is hostmaster.example.com.example.com.; write "hostmaster.EXAMPLE.com." for the name as it is (` + rule + `)`},
		{name: "record name ending in the zone's name", edit: func(n *names) { n.record = "txt.example.com" },
			wantFault: `zones[0].records[1].name: "txt.example.com" has no trailing dot, so it is txt.example.com.example.com.; write "txt.example.com." for the name as it is (` + rule + `)`},
		{name: "cname ending in the zone's name", edit: func(n *names) { n.cname = "api.example.com" },
			wantFault: `services[1].endpoints[0].cname: "api.example.com" has no trailing dot, so it is api.example.com.example.com.; write "api.example.com." for the name as it is (` + rule + `)`},
		{name: "cname of another domain without its dot", edit: func(n *names) { n.cname = "lb.example.net" },
			wantFault: `services[1].endpoints[0].cname: nothing in zone example.com. answers for lb.example.net.example.com. ("lb.example.net" has no trailing dot, so it is lb.example.net.example.com.: ` + rule + `; write "lb.example.net." for the name as it is)`},
		{name: "invalid relative name", edit: func(n *names) { n.mname = "a..b" },
			wantFault: `zones[0].soa.mname: "a..b" is not a valid domain name (` + rule + `)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := base
			tc.edit(&n)
			tr, err := ParseTraffic("t.yaml", []byte(doc(n.ns, n.mname, n.rname, n.record, n.cname)), "")
			if tc.wantFault != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) || len(ve.Faults) != 1 || !strings.HasSuffix(ve.Faults[0].Error(), tc.wantFault) {
					t.Fatalf("got %v\nwant one fault ending in\n%s", err, tc.wantFault)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			z := tr.Zones[0]
			got := names{z.NS[0], z.SOA.MName, z.SOA.RName, z.Records[1].Name, tr.Services[1].Endpoints[0].CNAME}
			if got != tc.want {
				t.Errorf("read as %+v\nwant      %+v", got, tc.want)
			}
		})
	}
}
