package resolver

import (
	"net/netip"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/policy"
)

// Explanation is the answer this node gives to one query and why.
type Explanation struct {
	// Response is the answer as it would be sent, before packing.
	Response *dns.Msg
	// Client is the client as the policy saw it: the subnet used and its
	// location.
	Client policy.Client
	// Service is the service whose policy chose the answer, "" for static
	// answers.
	Service string
	// Endpoints holds each endpoint's health as the answer saw it.
	Endpoints []EndpointHealth
	// Trace is every step of the policy's choice.
	Trace policy.Trace
	// Scope is the ECS scope the answer relies on.
	Scope int
}

// EndpointHealth is an endpoint's health in a snapshot.
type EndpointHealth struct {
	ID      string `json:"id"`
	Healthy bool   `json:"healthy"`
}

// Explain answers a query for name and qtype from client (with ecs, when
// valid, as the client subnet) exactly as ServeDNS would, recording the
// policy's steps. It is for operators and tests, not the query path.
func (h *Handler) Explain(name string, qtype uint16, client netip.Addr, ecs netip.Prefix) *Explanation {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	if ecs.IsValid() {
		o := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(ecs.Bits()), Address: ecs.Masked().Addr().AsSlice()}
		if ecs.Addr().Is6() {
			o.Family = 2
		}
		q.SetEdns0(DefaultUDPSize, false)
		opt := q.IsEdns0()
		opt.Option = append(opt.Option, o)
	}
	st := h.resolveUnpacked(q, client, false, new(policy.Trace))
	ex := &Explanation{Response: &st.resp, Client: st.req.client, Trace: *st.req.trace, Scope: st.req.scope}
	if sn := st.req.explained; sn != nil {
		ex.Service = sn.name
		for i, e := range sn.endpoints {
			ex.Endpoints = append(ex.Endpoints, EndpointHealth{ID: e.id, Healthy: st.req.snap.health.of(sn.index)[i]})
		}
	}
	return ex
}
