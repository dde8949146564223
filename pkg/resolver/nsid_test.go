package resolver_test

import (
	"encoding/hex"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// TestNSID: a query asking for NSID (RFC 5001) with an empty option gets
// the node id; no other query does, and a node without one sends none.
func TestNSID(t *testing.T) {
	cases := []struct {
		name    string
		nodeID  string
		edns    bool
		ask     bool
		network string
		want    string
	}{
		{"asked", "fra-1", true, true, "udp", "fra-1"},
		{"asked over TCP", "fra-1", true, true, "tcp", "fra-1"},
		{"not asked", "fra-1", true, false, "udp", ""},
		{"no EDNS", "fra-1", false, false, "udp", ""},
		{"asked of a node without NSID", "", true, true, "udp", ""},
	}
	on := startServer(t, func() dns.Handler { h, _ := newHardenedHandler(t, resolver.Options{NSID: "fra-1"}); return h }(), nil).Addrs()[0]
	off := startServer(t, func() dns.Handler { h, _ := newHardenedHandler(t, resolver.Options{}); return h }(), nil).Addrs()[0]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := on
			if c.nodeID == "" {
				addr = off
			}
			q := new(dns.Msg).SetQuestion("host.example.test.", dns.TypeA)
			if c.edns {
				q.SetEdns0(1232, false)
			}
			if c.ask {
				o := q.IsEdns0()
				o.Option = append(o.Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
			}
			resp := exchangeFrom(t, c.network, "127.0.0.7", addr, q)
			if resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 2 {
				t.Fatalf("rcode %s, %d answers", dns.RcodeToString[resp.Rcode], len(resp.Answer))
			}
			got, found := "", false
			if opt := resp.IsEdns0(); opt != nil {
				for _, o := range opt.Option {
					if n, ok := o.(*dns.EDNS0_NSID); ok {
						found = true
						b, err := hex.DecodeString(n.Nsid)
						if err != nil {
							t.Fatal(err)
						}
						got = string(b)
					}
				}
			}
			if got != c.want || found != (c.want != "") {
				t.Errorf("NSID %q (present %v), want %q", got, found, c.want)
			}
		})
	}
}
