package resolver

import (
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// transferRecords lists what a transfer of z carries, in the order it is
// sent: the SOA, then every RRset of every name in canonical order (the
// apex NS, static records, delegations and their glue), and, when the
// zone transfers services, each service name's A and AAAA records (or
// its CNAME) as this node answers a client it cannot locate: a secondary
// can do neither health checks nor geography, so it serves that one
// answer until the next transfer. The SOA ends the transfer too (RFC
// 5936 §2.2); the caller adds it.
func (h *Handler) transferRecords(s *Snapshot, z *zone) (soa dns.RR, rrs []dns.RR) {
	apex := z.nodes.get(z.name)
	soa = apex.lookup(dns.TypeSOA).records(z.name)[0]
	names := make([]string, 0, z.nodes.len())
	for name := range z.nodes.all() {
		names = append(names, name)
	}
	slices.SortFunc(names, canonicalCompare)
	rrs = append(rrs, soa)
	for _, name := range names {
		n := z.nodes.get(name)
		for _, set := range n.sets() {
			if set.rrtype != dns.TypeSOA {
				rrs = append(rrs, set.records(name)...)
			}
		}
		if n.service != nil && z.transfer.services {
			rrs = h.serviceRecords(s, s.current(n.service), rrs)
		}
	}
	return soa, rrs
}

// serviceRecords appends the records a client with no location is
// answered at the service's name.
func (h *Handler) serviceRecords(s *Snapshot, sn *serviceNode, rrs []dns.RR) []dns.RR {
	var r request
	if sn.isCNAME() {
		if cname := h.serviceCNAME(s, sn, &r); cname != nil {
			rrs = append(rrs, cname)
		}
		return rrs
	}
	var m dns.Msg
	h.answerService(s, sn, dns.TypeA, &r, &m)
	h.answerService(s, sn, dns.TypeAAAA, &r, &m)
	return append(rrs, m.Answer...)
}

// canonicalCompare orders names as DNSSEC does (RFC 4034 §6.1): by their
// labels from the right. Names are lower case already.
func canonicalCompare(a, b string) int {
	la, lb := dns.SplitDomainName(a), dns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}
