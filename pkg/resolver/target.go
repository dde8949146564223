package resolver

import (
	"maps"
	"net/netip"
	"slices"

	"github.com/miekg/dns"
)

// Endpoints named by hostname (config's Endpoint.Target) have no
// addresses in the document: the node looks them up and hands them in
// through WithTargets. A snapshot keeps, for the services with such
// endpoints, a version of the service carrying the addresses last handed
// in; the zones, which are shared by every snapshot of a document, keep
// pointing at the version Build made, and every reader of a service
// goes through Snapshot.current.

// current is the version of sn this snapshot answers with: sn itself
// unless sn has endpoints named by hostname whose addresses were handed
// in. The common snapshot, with no such endpoint, pays one nil check.
func (s *Snapshot) current(sn *serviceNode) *serviceNode {
	if s.retargeted == nil || sn == nil {
		return sn
	}
	if r, ok := s.retargeted[sn.index]; ok {
		return r
	}
	return sn
}

// WithTargets returns a snapshot like s but for the endpoints named by
// the host names in addrs, which answer with the addresses given (none
// answers NODATA for the endpoint). Only the services with such an
// endpoint are made again; everything else, the decisions remembered
// included, is shared with s: a policy chooses endpoints, not addresses,
// so a decision holds whatever an endpoint's addresses are. A name no
// endpoint of s uses is passed over.
func (s *Snapshot) WithTargets(addrs map[string][]netip.Addr) *Snapshot {
	touched := map[int]bool{}
	for name := range addrs {
		for _, i := range s.byTarget[name] {
			touched[i] = true
		}
	}
	if len(touched) == 0 {
		return s
	}
	next := *s
	next.retargeted = make(map[int]*serviceNode, max(len(s.retargeted), len(touched)))
	maps.Copy(next.retargeted, s.retargeted)
	for i := range touched {
		next.retargeted[i] = s.current(s.services[i]).retarget(addrs)
	}
	return &next
}

// retarget is a copy of sn whose endpoints named by a host name in addrs
// answer with the addresses given. The copy's signatures are its own,
// since they sign the records it answers with; its decision counters
// are sn's.
func (sn *serviceNode) retarget(addrs map[string][]netip.Addr) *serviceNode {
	next := &serviceNode{index: sn.index, name: sn.name, ttl: sn.ttl, policy: sn.policy, endpoints: slices.Clone(sn.endpoints), deterministic: sn.deterministic, packed: true}
	next.counters.Store(sn.counters.Load())
	for i := range next.endpoints {
		e := &next.endpoints[i]
		if a, ok := addrs[e.target]; ok && e.target != "" {
			e.a, e.aaaa = nil, nil
			for _, ip := range a {
				if ip.Is4() {
					e.a = append(e.a, &dns.A{Hdr: sn.header(dns.TypeA), A: ip.AsSlice()})
				} else {
					e.aaaa = append(e.aaaa, &dns.AAAA{Hdr: sn.header(dns.TypeAAAA), AAAA: ip.AsSlice()})
				}
			}
			e.pack()
		}
		next.packed = next.packed && e.packed
	}
	return next
}
