package config

import (
	"testing"
	"time"
)

// TestPrimaryFaults holds each rule of a secondary zone's primary with
// the exact fault it gives, and the documents at its edges that pass.
func TestPrimaryFaults(t *testing.T) {
	// head's zone without its records: a secondary holds none.
	bare := "zones:\n  - name: example.com.\n    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}\n    ns: [ns1.example.com.]\n"
	for _, tc := range []struct{ name, doc, want string }{
		{"servers and a key, glue from the primary", bare + "    primary: {servers: [\"192.0.2.1:53\", \"[2001:db8::1]:5353\"], key: XFR-Key, refresh: 30s}\n", ""},
		{"unsigned, the SOA's refresh", bare + "    primary: {servers: [\"127.0.0.1:53\"]}\n", ""},
		{"no servers", bare + "    primary: {key: k.}\n",
			`t.yaml:5:14: zones[0].primary.servers: needs at least one IP:port address of the primary`},
		{"servers not IP:port", bare + "    primary: {servers: [\"ns.example.net:53\", \"192.0.2.1\", \"192.0.2.1:0\"]}\n",
			`t.yaml:5:25: zones[0].primary.servers[0]: "ns.example.net:53" is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)
t.yaml:5:46: zones[0].primary.servers[1]: "192.0.2.1" is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)
t.yaml:5:59: zones[0].primary.servers[2]: "192.0.2.1:0" is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)`},
		{"key not a name", bare + "    primary: {servers: [\"192.0.2.1:53\"], key: \"a b\"}\n",
			`t.yaml:5:47: zones[0].primary.key: "a b" is not a valid domain name (this name is absolute, with or without its trailing dot)`},
		{"refresh under a second", bare + "    primary: {servers: [\"192.0.2.1:53\"], refresh: 100ms}\n",
			`t.yaml:5:51: zones[0].primary.refresh: must be at least 1s (or unset: the primary's SOA refresh)`},
		{"records too", head + "    primary: {servers: [\"192.0.2.1:53\"]}\n",
			`t.yaml:7:14: zones[0].primary: cannot be set with records or zone_file: the zone's static records come from the primary, and each transfer replaces them`},
		{"update_policy too", bare + "    primary: {servers: [\"192.0.2.1:53\"]}\n    update_policy: [{key: k., names: [\"*\"], types: [A]}]\n",
			`t.yaml:5:14: zones[0].primary: cannot be set with update_policy: the primary's next transfer would undo an update (send updates to the primary)`},
		{"glue still needed without a primary", bare,
			`t.yaml:4:10: zones[0].ns[0]: name server ns1.example.com. is inside the zone but has no A or AAAA record (glue)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := faultsOf(tc.doc); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestPrimaryNormalized: the key name becomes fully qualified lower
// case, and the refresh is the document's or the primary SOA's within
// its bounds.
func TestPrimaryNormalized(t *testing.T) {
	doc, err := ParseTraffic("t.yaml", []byte("zones:\n  - name: example.com.\n    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}\n    ns: [ns1.example.com.]\n    primary: {servers: [\"192.0.2.1:53\"], key: XFR-Key}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Zones[0].Primary
	if p.Key != "xfr-key." {
		t.Errorf("key = %q, want xfr-key.", p.Key)
	}
	for _, c := range []struct {
		refresh Duration
		soa     uint32
		want    time.Duration
	}{
		{0, 3600, time.Hour},
		{0, 1, MinPrimaryRefresh},
		{0, 0, MinPrimaryRefresh},
		{0, 86400, MaxPrimaryRefresh},
		{Duration(5 * time.Second), 3600, 5 * time.Second},
	} {
		p.Refresh = c.refresh
		if got := p.RefreshAfter(c.soa); got != c.want {
			t.Errorf("refresh %v, SOA refresh %d: %v, want %v", time.Duration(c.refresh), c.soa, got, c.want)
		}
	}
}
