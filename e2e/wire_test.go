package e2e

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// resolverQuery is a question shaped the way some resolver asks a name
// server, and what the answer must be. Unbound sends only some of these
// shapes; BIND, Knot Resolver, PowerDNS Recursor and the public resolvers
// send the others, and the zone must work through all of them.
type resolverQuery struct {
	what  string
	build func() *dns.Msg
	tcp   bool
	// want checks the response.
	want func(r *dns.Msg) string // "" when right, else what is wrong
}

func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg).SetQuestion(name, qtype)
	m.RecursionDesired = false
	return m
}

func withEDNS(m *dns.Msg, do bool, opts ...dns.EDNS0) *dns.Msg {
	m.SetEdns0(1232, do)
	o := m.IsEdns0()
	o.Option = append(o.Option, opts...)
	return m
}

func subnetOpt(p netip.Prefix) *dns.EDNS0_SUBNET {
	family := uint16(1)
	if p.Addr().Is6() {
		family = 2
	}
	return &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: family, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Masked().Addr().AsSlice())}
}

// wantAnswer wants an authoritative NOERROR with exactly one record of
// qtype in the answer section.
func wantAnswer(qtype uint16) func(*dns.Msg) string {
	return func(r *dns.Msg) string {
		switch {
		case r.Rcode != dns.RcodeSuccess:
			return "rcode " + dns.RcodeToString[r.Rcode]
		case !r.Authoritative:
			return "no AA"
		case len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != qtype:
			return "answer " + brief(r.Answer)
		}
		return ""
	}
}

// wantNoData wants an authoritative NOERROR with no answer and the SOA
// in the authority section (RFC 2308 §2.2).
func wantNoData(r *dns.Msg) string {
	switch {
	case r.Rcode != dns.RcodeSuccess:
		return "rcode " + dns.RcodeToString[r.Rcode]
	case !r.Authoritative:
		return "no AA"
	case len(r.Answer) != 0:
		return "answer " + brief(r.Answer)
	case len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA:
		return "authority " + brief(r.Ns) + ", want the SOA"
	}
	return ""
}

func brief(rrs []dns.RR) string {
	var s []string
	for _, rr := range rrs {
		s = append(s, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	if len(s) == 0 {
		return "(empty)"
	}
	return strings.Join(s, "; ")
}

// resolverQueries are the shapes of question the zone must answer.
func resolverQueries() []resolverQuery {
	apexNS := func(r *dns.Msg) string {
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 3 {
			return "want the three apex NS with AA, got " + dns.RcodeToString[r.Rcode] + " " + brief(r.Answer)
		}
		glue := 0
		for _, rr := range r.Extra {
			if rr.Header().Rrtype == dns.TypeA {
				glue++
			}
		}
		if glue != 3 {
			return "want the name servers' addresses in the additional section, got " + brief(r.Extra)
		}
		return ""
	}
	return []resolverQuery{
		{what: "www A, no EDNS (old resolvers)", build: func() *dns.Msg { return query(wwwName, dns.TypeA) }, want: wantAnswer(dns.TypeA)},
		{what: "www A, EDNS with DO (validating resolvers)", build: func() *dns.Msg { return withEDNS(query(wwwName, dns.TypeA), true) }, want: func(r *dns.Msg) string {
			if s := wantAnswer(dns.TypeA)(r); s != "" {
				return s
			}
			if o := r.IsEdns0(); o == nil {
				return "no OPT in the answer to an EDNS query (RFC 6891 §6.1.1)"
			}
			return ""
		}},
		{what: "www A, EDNS with a client cookie (BIND)", build: func() *dns.Msg {
			return withEDNS(query(wwwName, dns.TypeA), false, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
		}, want: wantAnswer(dns.TypeA)},
		{what: "www A, mixed case (0x20, RFC draft-vixie-dnsext-dns0x20)", build: func() *dns.Msg { return withEDNS(query("wWw.GtM.tEsT.", dns.TypeA), false) }, want: func(r *dns.Msg) string {
			if s := wantAnswer(dns.TypeA)(r); s != "" {
				return s
			}
			if len(r.Question) != 1 || r.Question[0].Name != "wWw.GtM.tEsT." {
				return "question not echoed as asked: " + r.Question[0].Name
			}
			return ""
		}},
		{what: "www A, IPv6 client subnet", build: func() *dns.Msg {
			return withEDNS(query(wwwName, dns.TypeA), false, subnetOpt(netip.MustParsePrefix("2001:db8:200::/48")))
		}, want: func(r *dns.Msg) string {
			if s := wantAnswer(dns.TypeA)(r); s != "" {
				return s
			}
			if s := ecsOf(r); s == nil || s.Family != 2 || s.SourceScope == 0 {
				return "want the IPv6 client subnet echoed with a scope"
			}
			return ""
		}},
		{what: "www A, client subnet /0 (RFC 7871 §7.1.2)", build: func() *dns.Msg {
			return withEDNS(query(wwwName, dns.TypeA), false, subnetOpt(netip.MustParsePrefix("0.0.0.0/0")))
		}, want: func(r *dns.Msg) string {
			if s := wantAnswer(dns.TypeA)(r); s != "" {
				return s
			}
			if s := ecsOf(r); s == nil || s.SourceScope != 0 {
				return "want the client subnet echoed with scope 0"
			}
			return ""
		}},
		{what: "www A over TCP", tcp: true, build: func() *dns.Msg { return withEDNS(query(wwwName, dns.TypeA), false) }, want: wantAnswer(dns.TypeA)},
		{what: "www NS (QNAME minimisation with NS, as Knot Resolver asks)", build: func() *dns.Msg { return withEDNS(query(wwwName, dns.TypeNS), false) }, want: wantNoData},
		{what: "wild A (QNAME minimisation: an empty non-terminal)", build: func() *dns.Msg { return withEDNS(query("wild."+zone, dns.TypeA), false) }, want: wantNoData},
		{what: "www AAAA", build: func() *dns.Msg { return withEDNS(query(wwwName, dns.TypeAAAA), false) }, want: wantAnswer(dns.TypeAAAA)},
		{what: "api AAAA (a service without IPv6: NODATA)", build: func() *dns.Msg { return withEDNS(query(apiName, dns.TypeAAAA), false) }, want: wantNoData},
		{what: "apex NS with glue", build: func() *dns.Msg { return withEDNS(query(zone, dns.TypeNS), false) }, want: apexNS},
		{what: "ns1 A (a name server's address, asked by resolvers that check glue)", build: func() *dns.Msg { return withEDNS(query("ns1."+zone, dns.TypeA), false) }, want: wantAnswer(dns.TypeA)},
		{what: "apex DS (asked of the child by mistake: answered from the child, NODATA)", build: func() *dns.Msg { return withEDNS(query(zone, dns.TypeDS), true) }, want: wantNoData},
		{what: "apex DNSKEY (an unsigned zone: NODATA)", build: func() *dns.Msg { return withEDNS(query(zone, dns.TypeDNSKEY), true) }, want: wantNoData},
		{what: "nope A (NXDOMAIN with the SOA)", build: func() *dns.Msg { return withEDNS(query("nope."+zone, dns.TypeA), false) }, want: func(r *dns.Msg) string {
			if r.Rcode != dns.RcodeNameError || !r.Authoritative || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
				return "want NXDOMAIN, AA and the SOA, got " + dns.RcodeToString[r.Rcode] + " " + brief(r.Ns)
			}
			return ""
		}},
	}
}

// checkResolverQueries asks every node each shape of question.
func (e *env) checkResolverQueries(t *testing.T) {
	t.Helper()
	for _, n := range e.nodes {
		for _, q := range resolverQueries() {
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			if q.tcp {
				c.Net = "tcp"
			}
			r, _, err := c.Exchange(q.build(), n.dns)
			if err != nil {
				t.Errorf("%s, %s: %v", n.id, q.what, err)
				continue
			}
			if s := q.want(r); s != "" {
				t.Errorf("%s, %s: %s", n.id, q.what, s)
			}
		}
	}
}
