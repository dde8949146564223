package resolver

import (
	"net/netip"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/policy"
)

// serviceNode is a service compiled for answering: its policy and, per
// endpoint, the records an answer with that endpoint carries, built once.
type serviceNode struct {
	index     int
	name      string
	ttl       uint32
	policy    *policy.Service
	endpoints []endpointAnswer
	// deterministic is set when the policy's choice can be remembered per
	// client network (see decisionTable).
	deterministic bool
	// packed is set when every endpoint's records packed, so the fast
	// path can answer from aWire and aaaaWire.
	packed bool
	// counters are the decision counters, made on the first answer; they
	// go away with the service (Metrics.decided).
	counters atomic.Pointer[serviceCounters]
	// sigs are the packed signatures of its answers (fastsign.go).
	sigs atomic.Pointer[serviceSigs]
}

// endpointAnswer is what one endpoint contributes to an answer.
type endpointAnswer struct {
	id    string
	a     []dns.RR
	aaaa  []dns.RR
	cname dns.RR
	// target is the host name the endpoint is named by, whose addresses
	// a and aaaa hold once handed in (WithTargets); "" for addresses
	// given in the document.
	target string
	// aWire and aaaaWire are a and aaaa packed (uncompressed), which the
	// fast path puts answers together from; packed says both packed.
	aWire, aaaaWire []byte
	packed          bool
}

// buildService compiles a service that config validation has passed: its
// policy is known, its addresses parse, and its name is in a zone.
func buildService(s *config.Service, index int) *serviceNode {
	p := policy.Compile(s)
	ttl := uint32(config.DefaultServiceTTL)
	if s.TTL != nil {
		ttl = *s.TTL
	}
	sn := &serviceNode{index: index, name: dns.CanonicalName(s.Name), ttl: ttl, policy: p, endpoints: make([]endpointAnswer, len(s.Endpoints)), deterministic: !p.Random(), packed: true}
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		ea := endpointAnswer{id: e.ID}
		if e.Target != "" {
			ea.target = dns.CanonicalName(e.Target)
		}
		for _, a := range e.A {
			ea.a = append(ea.a, &dns.A{Hdr: sn.header(dns.TypeA), A: addrBytes(a)})
		}
		for _, a := range e.AAAA {
			ea.aaaa = append(ea.aaaa, &dns.AAAA{Hdr: sn.header(dns.TypeAAAA), AAAA: addrBytes(a)})
		}
		if e.CNAME != "" {
			ea.cname = &dns.CNAME{Hdr: sn.header(dns.TypeCNAME), Target: dns.Fqdn(e.CNAME)}
		}
		ea.pack()
		sn.packed = sn.packed && ea.packed
		sn.endpoints[i] = ea
	}
	return sn
}

// header is the header of the service's records of type t.
func (sn *serviceNode) header(t uint16) dns.RR_Header {
	return dns.RR_Header{Name: sn.name, Rrtype: t, Class: dns.ClassINET, Ttl: sn.ttl}
}

// pack packs the endpoint's addresses for the fast path.
func (ea *endpointAnswer) pack() {
	var okA, okAAAA bool
	ea.aWire, okA = packRRs(ea.a)
	ea.aaaaWire, okAAAA = packRRs(ea.aaaa)
	ea.packed = okA && okAAAA
}

// packRRs packs rrs one after another, uncompressed, as they appear in a
// packed message. It reports false when one does not pack: the fast path
// then declines, and the full path reports the error.
func packRRs(rrs []dns.RR) ([]byte, bool) {
	var out []byte
	for _, rr := range rrs {
		buf := make([]byte, dns.Len(rr))
		n, err := dns.PackRR(rr, buf, 0, nil, false)
		if err != nil {
			return nil, false
		}
		out = append(out, buf[:n]...)
	}
	return out, true
}

// addrBytes is an address as an A or AAAA record holds it: 4 or 16 bytes.
// Config validation has parsed a and checked its family.
func addrBytes(a string) []byte {
	ip, _ := netip.ParseAddr(a)
	return ip.AsSlice()
}

// isCNAME reports whether the service answers with a CNAME.
func (sn *serviceNode) isCNAME() bool {
	return len(sn.endpoints) > 0 && sn.endpoints[0].cname != nil
}

// addressTypes lists the address types the service's endpoints hold:
// what exists at its name whichever endpoints a policy picks.
func (sn *serviceNode) addressTypes() []uint16 {
	var a, aaaa bool
	for i := range sn.endpoints {
		// A host name may have either kind of address, whichever it
		// has now.
		named := sn.endpoints[i].target != ""
		a = a || named || len(sn.endpoints[i].a) > 0
		aaaa = aaaa || named || len(sn.endpoints[i].aaaa) > 0
	}
	var types []uint16
	if a {
		types = append(types, dns.TypeA)
	}
	if aaaa {
		types = append(types, dns.TypeAAAA)
	}
	return types
}
