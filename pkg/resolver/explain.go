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
	// Signing says whether the answer is signed for a client that sets
	// the DO bit, and with which keys.
	Signing SigningExplained
}

// SigningExplained is how an answer is signed.
type SigningExplained struct {
	// Signed is set when clients that set the DO bit get the answer
	// signed; KeyTags and Algorithm are the keys that sign it.
	Signed    bool
	KeyTags   []uint16
	Algorithm uint8
	// Reason says why the answer is not signed when it is not.
	Reason string
}

// explainSigning says how the answer to qtype from zone is signed in s.
func explainSigning(s *Snapshot, zone string, qtype uint16) SigningExplained {
	sg, ok := s.signingOf(zone)
	switch {
	case zone == "":
		return SigningExplained{Reason: "no zone served here holds the name"}
	case !ok:
		return SigningExplained{Reason: "the zone is not signed"}
	case sg.Signer == nil && sg.Unsigned:
		return SigningExplained{Reason: "the zone's keys are not available on this node; it answers unsigned (unsigned_fallback)"}
	case sg.Signer == nil:
		return SigningExplained{Reason: "the zone's keys are not available on this node; it answers SERVFAIL"}
	}
	e := SigningExplained{Signed: true, KeyTags: sg.Signer.KeyTags(qtype)}
	if keys := sg.Signer.DNSKEYs(); len(keys) > 0 {
		if k, ok := keys[0].(*dns.DNSKEY); ok {
			e.Algorithm = k.Algorithm
		}
	}
	return e
}

// EndpointHealth is an endpoint's health in a snapshot.
type EndpointHealth struct {
	ID      string `json:"id"`
	Healthy bool   `json:"healthy"`
	// Target is the host name the endpoint is named by, "" for one
	// with addresses of its own.
	Target string `json:"target,omitempty"`
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
	if s := h.snap.Load(); s != nil {
		ex.Signing = explainSigning(s, st.req.zone, qtype)
	}
	if sn := st.req.explained; sn != nil {
		ex.Service = sn.name
		for i, e := range sn.endpoints {
			ex.Endpoints = append(ex.Endpoints, EndpointHealth{ID: e.id, Healthy: st.req.snap.health.of(sn.index)[i], Target: e.target})
		}
	}
	return ex
}
