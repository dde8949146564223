package resolver_test

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// One table per documented DNS behaviour. Every case runs through
// Handler.Resolve and through a server on 127.0.0.1:0 over UDP and TCP
// (runCases); the records are those of testdata/traffic.yaml.

// TestAuthority: AA set and RA clear in our zones, REFUSED without AA
// outside them, for other classes and for zone transfers; the longest
// zone wins; the SOA serial is the one given to Build.
func TestAuthority(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "A in zone", qname: "host.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "AAAA in zone", qname: "host.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"host.example.test. 300 IN AAAA 2001:db8::10"}},
		{name: "TXT in zone", qname: "host.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{`host.example.test. 300 IN TXT "hello world"`}},
		{name: "apex SOA carries the Build serial", qname: "example.test.", qtype: dns.TypeSOA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{apexSOA}, extra: nil},
		{name: "apex TXT", qname: "example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{`example.test. 300 IN TXT "v=spf1 -all"`}},
		{name: "sub zone SOA: longest zone match", qname: "sub.example.test.", qtype: dns.TypeSOA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{subApexSOA}},
		{name: "sub zone NS: name servers outside the zone, no glue", qname: "sub.example.test.", qtype: dns.TypeNS, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"sub.example.test. 30 IN NS ns1.example.test.", "sub.example.test. 30 IN NS ns2.example.test."}},
		{name: "sub zone A", qname: "host.sub.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"host.sub.example.test. 30 IN A 192.0.2.100"}},
		{name: "outside every zone", qname: "www.example.com.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "parent of a zone", qname: "test.", qtype: dns.TypeSOA, rcode: dns.RcodeRefused},
		{name: "root", qname: ".", qtype: dns.TypeNS, rcode: dns.RcodeRefused},
		{name: "name that merely ends like a zone", qname: "notexample.test.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "class CH in zone", qname: "example.test.", qtype: dns.TypeSOA, qclass: dns.ClassCHAOS, rcode: dns.RcodeRefused},
		{name: "class CH version.bind", qname: "version.bind.", qtype: dns.TypeTXT, qclass: dns.ClassCHAOS, rcode: dns.RcodeRefused},
		{name: "AXFR", qname: "example.test.", qtype: dns.TypeAXFR, rcode: dns.RcodeRefused},
		{name: "IXFR", qname: "example.test.", qtype: dns.TypeIXFR, rcode: dns.RcodeRefused},
		{name: "AXFR of the sub zone", qname: "sub.example.test.", qtype: dns.TypeAXFR, rcode: dns.RcodeRefused},
	})
}

// TestOpcodes: NOTIMP for every opcode but QUERY. miekg/dns's accept
// function answers UPDATE, STATUS and IQUERY before the handler, without
// the question.
func TestOpcodes(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "QUERY", qname: "host.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "NOTIFY", qname: "example.test.", qtype: dns.TypeSOA, opcode: dns.OpcodeNotify, rcode: dns.RcodeNotImplemented},
		{name: "NOTIFY with EDNS", qname: "example.test.", qtype: dns.TypeSOA, opcode: dns.OpcodeNotify, edns: &ednsOpt{},
			rcode: dns.RcodeNotImplemented},
		{name: "UPDATE", qname: "example.test.", qtype: dns.TypeSOA, opcode: dns.OpcodeUpdate, rcode: dns.RcodeNotImplemented,
			wireNoQuestion: true},
		{name: "STATUS", qname: "example.test.", qtype: dns.TypeSOA, opcode: dns.OpcodeStatus, rcode: dns.RcodeNotImplemented,
			wireNoQuestion: true},
		{name: "IQUERY", qname: "example.test.", qtype: dns.TypeSOA, opcode: dns.OpcodeIQuery, rcode: dns.RcodeNotImplemented,
			wireNoQuestion: true},
		{name: "opcode 15", qname: "example.test.", qtype: dns.TypeSOA, opcode: 15, rcode: dns.RcodeNotImplemented,
			wireNoQuestion: true},
	})
}

// TestFormErr: FORMERR for a question count other than one, for a
// malformed client subnet option (RFC 7871 §7.1.1), and for meta types
// that cannot be asked.
func TestFormErr(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "no question", qname: "", rcode: dns.RcodeFormatError, noQuestion: true},
		{name: "two questions", qname: "host.example.test.", qtype: dns.TypeA, questions: 2, rcode: dns.RcodeFormatError, noQuestion: true},
		{name: "ECS scope non-zero in a query", qname: "host.example.test.", qtype: dns.TypeA,
			edns:  &ednsOpt{ecs: &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, SourceScope: 24, Address: []byte{192, 0, 2, 0}}},
			rcode: dns.RcodeFormatError},
		{name: "ECS address bits beyond the source prefix", qname: "host.example.test.", qtype: dns.TypeA,
			// 192.0.2/20: the third octet's low bits are set.
			edns:  &ednsOpt{rawECS: []byte{0, 1, 20, 0, 192, 0, 2}},
			rcode: dns.RcodeFormatError},
		{name: "ECS IPv6 address bits beyond the source prefix", qname: "host.example.test.", qtype: dns.TypeA,
			// 2001:db8::/16 with the second pair of octets sent.
			edns:  &ednsOpt{rawECS: []byte{0, 2, 16, 0, 0x20, 0x01, 0x0d, 0xb8}},
			rcode: dns.RcodeFormatError},
		{name: "ECS unknown family", qname: "host.example.test.", qtype: dns.TypeA,
			edns:  &ednsOpt{rawECS: []byte{0, 3, 0, 0}},
			rcode: dns.RcodeFormatError, unpackFails: true, wireNoOPT: true},
		{name: "ECS IPv4 source prefix over 32", qname: "host.example.test.", qtype: dns.TypeA,
			edns:  &ednsOpt{rawECS: []byte{0, 1, 33, 0, 192, 0, 2, 0, 0}},
			rcode: dns.RcodeFormatError, unpackFails: true, wireNoOPT: true},
		// RFC 7871 §6 says too many or too few ADDRESS octets SHOULD be
		// FORMERR; miekg/dns pads or cuts the address while unpacking, so
		// the handler cannot tell, and such a subnet is used as padded.
		{name: "two ECS options", qname: "host.example.test.", qtype: dns.TypeA,
			edns:  &ednsOpt{ecs: ecs4("192.0.2.0", 24), twoECS: true},
			rcode: dns.RcodeFormatError},
		// RFC 6891 §6.1.1: more than one OPT record MUST be FORMERR; an OPT
		// record belongs in the additional section only, owned by the
		// root (BIND and Knot answer FORMERR to both).
		{name: "two OPT records", qname: "host.example.test.", qtype: dns.TypeA, edit: func(m *dns.Msg) {
			m.Extra = append(m.Extra, newOPT(".", 4096), newOPT(".", 512))
		}, rcode: dns.RcodeFormatError, skipOPT: true},
		{name: "OPT in the answer section", qname: "host.example.test.", qtype: dns.TypeA, edit: func(m *dns.Msg) {
			m.Answer = append(m.Answer, newOPT(".", 4096))
		}, rcode: dns.RcodeFormatError, skipOPT: true},
		{name: "OPT in the authority section", qname: "host.example.test.", qtype: dns.TypeA, edit: func(m *dns.Msg) {
			m.Ns = append(m.Ns, newOPT(".", 4096))
		}, rcode: dns.RcodeFormatError, skipOPT: true},
		{name: "OPT owned by another name", qname: "host.example.test.", qtype: dns.TypeA, edit: func(m *dns.Msg) {
			m.Extra = append(m.Extra, newOPT("example.test.", 4096))
		}, rcode: dns.RcodeFormatError, skipOPT: true},
		{name: "qtype OPT", qname: "host.example.test.", qtype: dns.TypeOPT, rcode: dns.RcodeFormatError},
		{name: "qtype 0", qname: "host.example.test.", qtype: dns.TypeNone, rcode: dns.RcodeFormatError},
		// What the handler sees of a question cut after its name:
		// miekg/dns unpacks the missing QTYPE and QCLASS as 0.
		{name: "qtype 0 class 0", qname: "host.example.test.", qtype: dns.TypeNone, qclass: 0, edit: func(m *dns.Msg) {
			m.Question[0].Qclass = 0
		}, rcode: dns.RcodeFormatError},
		{name: "qtype TSIG", qname: "host.example.test.", qtype: dns.TypeTSIG, rcode: dns.RcodeFormatError},
	})
}

// newOPT is an OPT record with owner name and payload size.
func newOPT(name string, size uint16) *dns.OPT {
	o := &dns.OPT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeOPT}}
	o.SetUDPSize(size)
	return o
}

// TestBadVers: EDNS version 1 is answered BADVERS (extended rcode 16) with
// an OPT record of version 0 (RFC 6891 §6.1.3), in or out of our zones.
func TestBadVers(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "version 1 in zone", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{version: 1}, rcode: dns.RcodeBadVers},
		{name: "version 1 with DO", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{version: 1, do: true}, rcode: dns.RcodeBadVers},
		{name: "version 255 outside zones", qname: "www.example.com.", qtype: dns.TypeA, edns: &ednsOpt{version: 255}, rcode: dns.RcodeBadVers},
		{name: "version 0 is fine", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{}, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
	})
}

// TestNegative: NXDOMAIN and NODATA as RFC 2308 says, with the SOA in the
// authority section carrying min(SOA TTL, minimum), in both zones; empty
// non-terminals are NODATA.
func TestNegative(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "NXDOMAIN", qname: "nope.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "NXDOMAIN deep", qname: "a.b.c.nope.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "NXDOMAIN below an existing leaf", qname: "below.host.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "NODATA", qname: "host.example.test.", qtype: dns.TypeMX, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "NODATA at the apex", qname: "example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "NODATA DS at our own apex", qname: "example.test.", qtype: dns.TypeDS, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "NODATA for an unknown type", qname: "host.example.test.", qtype: 65280, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "ENT one level up", qname: "y.z.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "ENT two levels up", qname: "z.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "ENT any type", qname: "z.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "ENT of an SRV owner", qname: "_tcp.example.test.", qtype: dns.TypeSRV, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "the name below the ENTs", qname: "x.y.z.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"x.y.z.example.test. 300 IN A 192.0.2.40"}},
		{name: "NXDOMAIN beside the ENT", qname: "w.y.z.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "sub zone NXDOMAIN: TTL below minimum", qname: "nope.sub.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			ns: []string{subNegSOA}},
		{name: "sub zone NODATA", qname: "host.sub.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{subNegSOA}},
		{name: "sub zone NODATA at the apex", qname: "sub.example.test.", qtype: dns.TypeMX, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{subNegSOA}},
		{name: "NXDOMAIN with EDNS", qname: "nope.example.test.", qtype: dns.TypeA, edns: &ednsOpt{}, rcode: dns.RcodeNameError, aa: true,
			ns: []string{negSOA}},
	})
}

// TestWildcards: RFC 4592 synthesis with the query name as owner;
// explicit names win (even for types they lack); an empty non-terminal
// blocks the wildcard below it; NODATA for a type the wildcard lacks.
func TestWildcards(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "A synthesized", qname: "foo.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"foo.wild.example.test. 300 IN A 192.0.2.60"}},
		{name: "TXT synthesized", qname: "foo.wild.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{`foo.wild.example.test. 300 IN TXT "wild"`}},
		{name: "two labels below", qname: "a.b.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"a.b.wild.example.test. 300 IN A 192.0.2.60"}},
		{name: "type the wildcard lacks: NODATA", qname: "foo.wild.example.test.", qtype: dns.TypeMX, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{negSOA}},
		{name: "explicit name wins", qname: "explicit.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"explicit.wild.example.test. 300 IN A 192.0.2.61"}},
		{name: "explicit name wins for types it lacks", qname: "explicit.wild.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{negSOA}},
		{name: "ENT under the wildcard is NODATA", qname: "ent.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{negSOA}},
		{name: "ENT blocks the wildcard below it", qname: "foo.ent.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			ns: []string{negSOA}},
		{name: "the name below the ENT", qname: "leaf.ent.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"leaf.ent.wild.example.test. 300 IN A 192.0.2.62"}},
		{name: "the wildcard's parent is an ENT", qname: "wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{negSOA}},
		{name: "the wildcard owner asked literally", qname: "*.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"*.wild.example.test. 300 IN A 192.0.2.60"}},
		{name: "wildcard CNAME synthesized and chased", qname: "foo.wcname.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"foo.wcname.example.test. 300 IN CNAME c.example.test.", "c.example.test. 300 IN A 192.0.2.30"}},
		{name: "wildcard CNAME asked as CNAME", qname: "foo.wcname.example.test.", qtype: dns.TypeCNAME, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"foo.wcname.example.test. 300 IN CNAME c.example.test."}},
		{name: "wildcard synthesis for a mixed-case name", qname: "FoO.WiLd.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"foo.wild.example.test. 300 IN A 192.0.2.60"}},
		{name: "below the wildcard owner is NXDOMAIN", qname: "foo.*.wild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			ns: []string{negSOA}},
	})
}

// TestCNAME: in-zone chasing, out-of-zone targets (the CNAME alone), a
// target that does not exist (NXDOMAIN with the CNAME, RFC 6604), qtype
// CNAME, and loops.
func TestCNAME(t *testing.T) {
	chain := []string{
		"a.example.test. 300 IN CNAME b.example.test.",
		"b.example.test. 300 IN CNAME c.example.test.",
	}
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "chain chased in zone", qname: "a.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: concat(chain, []string{"c.example.test. 300 IN A 192.0.2.30"})},
		{name: "chain ending in NODATA", qname: "a.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: true,
			answer: chain, ns: []string{negSOA}},
		{name: "chain from the middle", qname: "b.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"b.example.test. 300 IN CNAME c.example.test.", "c.example.test. 300 IN A 192.0.2.30"}},
		{name: "qtype CNAME returns the CNAME itself", qname: "a.example.test.", qtype: dns.TypeCNAME, rcode: dns.RcodeSuccess, aa: true,
			answer: chain[:1]},
		{name: "qtype CNAME where there is none: NODATA", qname: "c.example.test.", qtype: dns.TypeCNAME, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{negSOA}},
		{name: "out-of-zone target: the CNAME only", qname: "out.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"out.example.test. 300 IN CNAME www.example.net."}},
		{name: "dangling target: NXDOMAIN with the CNAME", qname: "dangling.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			answer: []string{"dangling.example.test. 300 IN CNAME missing.example.test."}, ns: []string{negSOA}},
		{name: "target below a delegation: CNAME then referral", qname: "tochild.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"tochild.example.test. 300 IN CNAME www.child.example.test."}, ns: childNS, extra: childGlue},
		{name: "CNAME to a service", qname: "alias.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"alias.example.test. 300 IN CNAME www.example.test.", "www.example.test. 30 IN A 198.51.100.1"}},
		{name: "CNAME with other qtype (TXT) chased", qname: "a.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			answer: chain, ns: []string{negSOA}},
		{name: "case of the query does not matter", qname: "A.Example.TEST.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: concat(chain, []string{"c.example.test. 300 IN A 192.0.2.30"})},
	})
}

// TestCNAMEIntoOtherZone: a CNAME whose target lies in another zone we
// serve, sub.example.test., the longest zone for the target though the
// target is also below the CNAME's own zone. RFC 1034 §4.3.2 step 3.a goes
// back to step 1, which picks the zone anew, so the chase continues in
// sub.example.test. (stopping after the CNAME, as for out-of-zone
// targets, would also do; then drop the A record below). Answering
// NXDOMAIN from the parent zone's data is wrong: the target exists.
func TestCNAMEIntoOtherZone(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "target in the sub zone", qname: "tosub.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"tosub.example.test. 300 IN CNAME host.sub.example.test.", "host.sub.example.test. 30 IN A 192.0.2.100"}},
		{name: "target in the sub zone lacks the type", qname: "tosub.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"tosub.example.test. 300 IN CNAME host.sub.example.test."}, ns: []string{subNegSOA}},
		{name: "target missing from the sub zone: its SOA", qname: "tosubmissing.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true,
			answer: []string{"tosubmissing.example.test. 300 IN CNAME nope.sub.example.test."}, ns: []string{subNegSOA}},
	})
}

// TestCNAMELoop: a loop is followed a bounded number of times and each
// CNAME appears once in the answer.
func TestCNAMELoop(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "loop1 <-> loop2", qname: "loop1.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{
				"loop1.example.test. 300 IN CNAME loop2.example.test.",
				"loop2.example.test. 300 IN CNAME loop1.example.test.",
			}},
	})
}

// TestDelegations: referrals with AA clear, the child's NS set in the
// authority section and glue in the additional section, for the cut and
// every name below it; DS at the cut is the parent's (NODATA, AA).
func TestDelegations(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "NS at the cut", qname: "child.example.test.", qtype: dns.TypeNS, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "A at the cut", qname: "child.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "below the cut", qname: "www.child.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "deep below the cut", qname: "a.b.c.child.example.test.", qtype: dns.TypeMX, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "the glue name itself is the child's", qname: "ns.child.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "ANY at the cut", qname: "child.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "DS at the cut is answered by the parent", qname: "child.example.test.", qtype: dns.TypeDS, rcode: dns.RcodeSuccess, aa: true,
			ns: []string{negSOA}},
		{name: "DS below the cut is a referral", qname: "www.child.example.test.", qtype: dns.TypeDS, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "out-of-zone name servers: no glue", qname: "outdeleg.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: false,
			ns: outNS},
		{name: "below the out-of-zone delegation", qname: "www.outdeleg.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: false,
			ns: outNS},
		{name: "referral with EDNS", qname: "www.child.example.test.", qtype: dns.TypeA, edns: &ednsOpt{do: true}, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
	})
}

// TestANY: RFC 8482, one RRset for ANY, authoritatively.
func TestANY(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "apex", qname: "example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true, oneRRset: true},
		{name: "host with A, AAAA and TXT", qname: "host.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true, oneRRset: true},
		{name: "service", qname: "www.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true, oneRRset: true},
		{name: "wildcard", qname: "foo.wild.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true, oneRRset: true},
		{name: "ENT", qname: "z.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "NXDOMAIN", qname: "nope.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "outside our zones", qname: "example.com.", qtype: dns.TypeANY, rcode: dns.RcodeRefused},
		// ANY matches the CNAME itself (RFC 1034 §4.3.2 step 3a): the
		// answer is the CNAME, not chased.
		{name: "CNAME", qname: "a.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"a.example.test. 300 IN CNAME b.example.test."}},
		{name: "wildcard CNAME", qname: "x.wcname.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"x.wcname.example.test. 300 IN CNAME c.example.test."}},
	})
	// A CNAME service likewise, with the in-zone target it picks when its
	// first endpoint is down.
	h := newHandler(testSnapshot(t).WithHealth(func(_, ep string) bool { return ep != "edge" }))
	runCases(t, h, []dnsCase{
		{name: "CNAME service", qname: "cdn.example.test.", qtype: dns.TypeANY, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME c.example.test."}},
	})
}

// TestAdditional: the addresses of in-zone targets: glue for the apex NS
// set, the mail host of MX, the target of SRV.
func TestAdditional(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "apex NS with glue", qname: "example.test.", qtype: dns.TypeNS, rcode: dns.RcodeSuccess, aa: true,
			answer: apexNS, extra: apexGlue},
		{name: "MX with the in-zone mail host", qname: "example.test.", qtype: dns.TypeMX, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"example.test. 3600 IN MX 10 mail.example.test.", "example.test. 3600 IN MX 20 mx.elsewhere.invalid."},
			extra:  []string{"mail.example.test. 300 IN A 192.0.2.25", "mail.example.test. 300 IN AAAA 2001:db8::25"}},
		{name: "SRV with its target", qname: "_sip._tcp.example.test.", qtype: dns.TypeSRV, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"_sip._tcp.example.test. 300 IN SRV 10 5 5060 sip.example.test."},
			extra:  []string{"sip.example.test. 300 IN A 192.0.2.50"}},
		{name: "name server address", qname: "ns1.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"ns1.example.test. 300 IN AAAA 2001:db8::1"}},
	})
}

// TestCase: the question comes back as sent (runCases compares it
// exactly); the answer is authoritative.
func TestCase(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "service", qname: "WwW.ExAmPlE.TeSt.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"www.example.test. 30 IN A 198.51.100.1"}},
		{name: "static", qname: "HOST.example.TEST.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "NXDOMAIN", qname: "NoPe.ExAmPlE.tEsT.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "sub zone", qname: "HoSt.SuB.ExAmPlE.TeSt.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"host.sub.example.test. 30 IN A 192.0.2.100"}},
		{name: "delegation", qname: "WWW.CHILD.EXAMPLE.TEST.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: false,
			ns: childNS, extra: childGlue},
		{name: "outside", qname: "WWW.EXAMPLE.COM.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
	})
}

// TestEDNS: the response has an OPT record exactly when the query had one
// (runCases checks it), advertising 1232 bytes and echoing DO.
func TestEDNS(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "no OPT", qname: "host.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "OPT 4096", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{size: 4096}, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "OPT 512", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{size: 512}, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "OPT below 512", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{size: 100}, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "DO echoed", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{do: true}, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "DO on NXDOMAIN", qname: "nope.example.test.", qtype: dns.TypeA, edns: &ednsOpt{do: true}, rcode: dns.RcodeNameError, aa: true,
			ns: []string{negSOA}},
		{name: "OPT on REFUSED", qname: "example.com.", qtype: dns.TypeA, edns: &ednsOpt{}, rcode: dns.RcodeRefused},
		{name: "OPT on NOTIMP", qname: "example.test.", qtype: dns.TypeSOA, opcode: dns.OpcodeNotify, edns: &ednsOpt{do: true},
			rcode: dns.RcodeNotImplemented},
		{name: "unknown options ignored, ECS still echoed", qname: "host.example.test.", qtype: dns.TypeA,
			edns: &ednsOpt{ecs: ecs4("192.0.2.0", 24)}, edit: func(m *dns.Msg) {
				o := m.IsEdns0()
				o.Option = append(o.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"},
					&dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1, 2, 3}})
			}, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "apex NS with glue and OPT", qname: "example.test.", qtype: dns.TypeNS, edns: &ednsOpt{}, rcode: dns.RcodeSuccess, aa: true,
			answer: apexNS, extra: apexGlue},
	})
}

// TestTruncation: TC=1 and an empty answer over UDP when the response does
// not fit the client's size (512 without EDNS, at most 1232 with it); the
// whole answer over TCP.
func TestTruncation(t *testing.T) {
	bigMX := []string{"bigmx.example.test. 300 IN MX 10 mx1.example.test."}
	delegNS, delegGlue := bigDeleg()
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "additional records dropped to fit 512, no TC", qname: "bigmx.example.test.", qtype: dns.TypeMX,
			rcode: dns.RcodeSuccess, aa: true, udpNoExtra: true, answer: bigMX, extra: mx1A()},
		{name: "additional records fit EDNS 1232", qname: "bigmx.example.test.", qtype: dns.TypeMX, edns: &ednsOpt{size: 1232},
			rcode: dns.RcodeSuccess, aa: true, answer: bigMX, extra: mx1A()},
		{name: "referral whose glue does not fit 512: TC", qname: "www.bigdeleg.example.test.", qtype: dns.TypeA,
			rcode: dns.RcodeSuccess, udpTC: true, ns: delegNS, extra: delegGlue},
		{name: "referral with glue fits EDNS 1232", qname: "www.bigdeleg.example.test.", qtype: dns.TypeA, edns: &ednsOpt{size: 1232},
			rcode: dns.RcodeSuccess, ns: delegNS, extra: delegGlue},
		{name: "over 1232 with EDNS 4096", qname: "bigtxt.example.test.", qtype: dns.TypeTXT, edns: &ednsOpt{size: 4096},
			rcode: dns.RcodeSuccess, aa: true, udpTC: true, answer: bigTXT},
		{name: "over 1232 without EDNS", qname: "bigtxt.example.test.", qtype: dns.TypeTXT,
			rcode: dns.RcodeSuccess, aa: true, udpTC: true, answer: bigTXT},
		{name: "over 512 without EDNS", qname: "midtxt.example.test.", qtype: dns.TypeTXT,
			rcode: dns.RcodeSuccess, aa: true, udpTC: true, answer: midTXT},
		{name: "over 512 with EDNS 512", qname: "midtxt.example.test.", qtype: dns.TypeTXT, edns: &ednsOpt{size: 512},
			rcode: dns.RcodeSuccess, aa: true, udpTC: true, answer: midTXT},
		{name: "over 512 fits EDNS 1232", qname: "midtxt.example.test.", qtype: dns.TypeTXT, edns: &ednsOpt{size: 1232},
			rcode: dns.RcodeSuccess, aa: true, answer: midTXT},
		{name: "over 512 fits EDNS 4096", qname: "midtxt.example.test.", qtype: dns.TypeTXT, edns: &ednsOpt{size: 4096, do: true},
			rcode: dns.RcodeSuccess, aa: true, answer: midTXT},
		{name: "ANY of a large set", qname: "bigtxt.example.test.", qtype: dns.TypeANY, edns: &ednsOpt{},
			rcode: dns.RcodeSuccess, aa: true, udpTC: true, answer: bigTXT},
	})
}

// TestECS: the client subnet option is echoed with its family, source
// prefix and address, and scope 0 for answers that do not depend on
// location (RFC 7871 §7.2.1).
func TestECS(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "IPv4 /24 static", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{ecs: ecs4("192.0.2.0", 24)},
			rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "IPv4 /32 static", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{ecs: ecs4("192.0.2.77", 32)},
			rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "IPv4 /0", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{ecs: ecs4("0.0.0.0", 0)},
			rcode: dns.RcodeSuccess, aa: true, answer: hostA},
		{name: "IPv6 /56 static", qname: "host.example.test.", qtype: dns.TypeAAAA, edns: &ednsOpt{ecs: ecs6("2001:db8:1:2200::", 56)},
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"host.example.test. 300 IN AAAA 2001:db8::10"}},
		{name: "IPv6 /0", qname: "host.example.test.", qtype: dns.TypeAAAA, edns: &ednsOpt{ecs: ecs6("::", 0)},
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"host.example.test. 300 IN AAAA 2001:db8::10"}},
		{name: "NXDOMAIN", qname: "nope.example.test.", qtype: dns.TypeA, edns: &ednsOpt{ecs: ecs4("192.0.2.0", 24), do: true},
			rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "failover service does not depend on location", qname: "www.example.test.", qtype: dns.TypeA,
			edns: &ednsOpt{ecs: ecs4("203.0.113.0", 24)}, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"www.example.test. 30 IN A 198.51.100.1"}},
		{name: "CNAME service", qname: "cdn.example.test.", qtype: dns.TypeA, edns: &ednsOpt{ecs: ecs6("2001:db8::", 48)},
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"cdn.example.test. 20 IN CNAME edge.cdn.example.net."}},
		{name: "referral", qname: "www.child.example.test.", qtype: dns.TypeA, edns: &ednsOpt{ecs: ecs4("192.0.2.0", 24)},
			rcode: dns.RcodeSuccess, ns: childNS, extra: childGlue},
		// pinned.example.test. pins 203.0.113.0/24 and 127.0.0.0/8.
		{name: "pin by source address without ECS", qname: "pinned.example.test.", qtype: dns.TypeA,
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"pinned.example.test. 10 IN A 198.51.100.30"}},
		{name: "pin by ECS: scope is the pinned prefix", qname: "pinned.example.test.", qtype: dns.TypeA,
			edns: &ednsOpt{ecs: ecs4("203.0.113.0", 24)}, ecsScope: 24,
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"pinned.example.test. 10 IN A 198.51.100.20"}},
		{name: "pin by ECS longer than the pin", qname: "pinned.example.test.", qtype: dns.TypeA,
			edns: &ednsOpt{ecs: ecs4("203.0.113.128", 25)}, ecsScope: 24,
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"pinned.example.test. 10 IN A 198.51.100.20"}},
		{name: "pin /8 by ECS /24", qname: "pinned.example.test.", qtype: dns.TypeA,
			edns: &ednsOpt{ecs: ecs4("127.1.2.0", 24)}, ecsScope: 8,
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"pinned.example.test. 10 IN A 198.51.100.30"}},
		{name: "ECS wins over the source address", qname: "pinned.example.test.", qtype: dns.TypeA,
			edns: &ednsOpt{ecs: ecs4("203.0.113.0", 24), do: true}, ecsScope: 24,
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"pinned.example.test. 10 IN A 198.51.100.20"}},
		{name: "AAAA of a pinned endpoint with none: NODATA, scope kept", qname: "pinned.example.test.", qtype: dns.TypeAAAA,
			edns: &ednsOpt{ecs: ecs4("203.0.113.0", 24)}, ecsScope: 24,
			rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
	})
}

// TestServices: a service answers A and AAAA from the endpoints its policy
// picks, with the service TTL; other types are NODATA.
func TestServices(t *testing.T) {
	runCases(t, newHandler(testSnapshot(t)), []dnsCase{
		{name: "A from the primary", qname: "www.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"www.example.test. 30 IN A 198.51.100.1"}},
		{name: "AAAA from the primary", qname: "www.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"www.example.test. 30 IN AAAA 2001:db8:1::1"}},
		{name: "TXT is NODATA", qname: "www.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "MX is NODATA", qname: "www.example.test.", qtype: dns.TypeMX, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "CNAME is NODATA", qname: "www.example.test.", qtype: dns.TypeCNAME, rcode: dns.RcodeSuccess, aa: true, ns: []string{negSOA}},
		{name: "below the service is NXDOMAIN", qname: "x.www.example.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError, aa: true, ns: []string{negSOA}},
		{name: "CNAME service: A", qname: "cdn.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME edge.cdn.example.net."}},
		{name: "CNAME service: AAAA", qname: "cdn.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME edge.cdn.example.net."}},
		{name: "CNAME service: qtype CNAME", qname: "cdn.example.test.", qtype: dns.TypeCNAME, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME edge.cdn.example.net."}},
		{name: "CNAME service: TXT follows the CNAME", qname: "cdn.example.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME edge.cdn.example.net."}},
	})
}

// TestServicesFailover: with the primary endpoints down the answer
// follows the policy to the backup, for addresses and CNAMEs.
func TestServicesFailover(t *testing.T) {
	down := map[string]bool{"www.example.test./primary": true, "cdn.example.test./edge": true}
	snap := testSnapshot(t).WithHealth(func(svc, ep string) bool { return !down[svc+"/"+ep] })
	runCases(t, newHandler(snap), []dnsCase{
		{name: "A from the backup", qname: "www.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"www.example.test. 30 IN A 198.51.100.2"}},
		{name: "AAAA from the backup", qname: "www.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"www.example.test. 30 IN AAAA 2001:db8:2::2"}},
		{name: "via a static CNAME", qname: "alias.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"alias.example.test. 300 IN CNAME www.example.test.", "www.example.test. 30 IN A 198.51.100.2"}},
		{name: "CNAME service to the in-zone origin, chased", qname: "cdn.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME c.example.test.", "c.example.test. 300 IN A 192.0.2.30"}},
		{name: "CNAME service, chased target lacks the type", qname: "cdn.example.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME c.example.test."}, ns: []string{negSOA}},
		{name: "ECS scope still 0", qname: "www.example.test.", qtype: dns.TypeA, edns: &ednsOpt{ecs: ecs4("198.51.100.0", 24)},
			rcode: dns.RcodeSuccess, aa: true, answer: []string{"www.example.test. 30 IN A 198.51.100.2"}},
	})
}

// TestServicesAllDown: with every endpoint down, when_all_down "all" (the
// default) fails open and failover answers as if all were healthy.
func TestServicesAllDown(t *testing.T) {
	snap := testSnapshot(t).WithHealth(func(string, string) bool { return false })
	runCases(t, newHandler(snap), []dnsCase{
		{name: "A fails open to the primary", qname: "www.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"www.example.test. 30 IN A 198.51.100.1"}},
		{name: "CNAME fails open to the edge", qname: "cdn.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true,
			answer: []string{"cdn.example.test. 20 IN CNAME edge.cdn.example.net."}},
		{name: "static data is unaffected", qname: "host.example.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, aa: true, answer: hostA},
	})
}

// TestNoSnapshot: before the first Swap every query is REFUSED.
func TestNoSnapshot(t *testing.T) {
	runCases(t, resolver.NewHandler(resolver.Options{}), []dnsCase{
		{name: "in zone", qname: "host.example.test.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "with EDNS", qname: "host.example.test.", qtype: dns.TypeA, edns: &ednsOpt{do: true}, rcode: dns.RcodeRefused},
	})
}

// TestSwapSerial: the SOA serial is the one each snapshot was built with,
// and Swap takes effect on the next query.
func TestSwapSerial(t *testing.T) {
	tr := loadTraffic(t)
	h := resolver.NewHandler(resolver.Options{})
	for _, serial := range []uint32{1, 2, 4294967295} {
		s, err := resolver.Build(tr, serial)
		if err != nil {
			t.Fatal(err)
		}
		if s.Serial() != serial {
			t.Errorf("Serial() = %d, want %d", s.Serial(), serial)
		}
		h.Swap(s)
		if h.Snapshot() != s {
			t.Error("Snapshot() is not the snapshot just swapped in")
		}
		for _, zone := range []string{"example.test.", "sub.example.test."} {
			q := new(dns.Msg).SetQuestion(zone, dns.TypeSOA)
			resp := h.Resolve(q, loopback, false)
			if len(resp.Answer) != 1 {
				t.Fatalf("SOA %s: answer %v", zone, resp.Answer)
			}
			if got := resp.Answer[0].(*dns.SOA).Serial; got != serial {
				t.Errorf("SOA %s serial %d, want %d", zone, got, serial)
			}
		}
		// The negative answer's SOA carries it too.
		resp := h.Resolve(new(dns.Msg).SetQuestion("nope.example.test.", dns.TypeA), loopback, false)
		if len(resp.Ns) != 1 || resp.Ns[0].(*dns.SOA).Serial != serial {
			t.Errorf("NXDOMAIN authority %v, want the SOA with serial %d", resp.Ns, serial)
		}
	}
}
