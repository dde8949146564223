package node

import (
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// notifyTaker takes the NOTIFY messages (RFC 1996) a secondary zone's
// primary sends at each change, so the zone is refreshed at once rather
// than at its next refresh (resolver.ServerOptions.Notify). It only
// notes the zone for the secondary loop and answers.
type notifyTaker struct{ n *Node }

var _ dns.Handler = notifyTaker{}

// ServeDNS answers one NOTIFY: NOERROR when it names a secondary zone,
// comes from one of the zone's primary servers' addresses and is signed
// with the zone's primary key (when it has one); else NOTAUTH (not a
// secondary here, or a bad signature) or REFUSED (another source, or
// unsigned), as BIND and Knot answer them. It logs at debug level only:
// a NOTIFY costs nothing to forge, and this runs on a listener's
// goroutine.
func (t notifyTaker) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	_ = w.WriteMsg(t.answer(w, req))
}

func (t notifyTaker) answer(w dns.ResponseWriter, req *dns.Msg) *dns.Msg {
	zone := dns.CanonicalName(req.Question[0].Name)
	log := t.n.log.With("source", sourceOf(w), "zone", zone)
	sig := req.IsTsig()
	if sig != nil {
		if err := w.TsigStatus(); err != nil {
			resp := resolver.TSIGFailure(req, err)
			log.Debug("notify refused", "rcode", "NOTAUTH", "tsig_error", dns.RcodeToString[int(resp.IsTsig().Error)])
			return resp
		}
	}
	resp := new(dns.Msg).SetReply(req)
	resp.Authoritative = true
	if sig != nil {
		defer resp.SetTsig(sig.Hdr.Name, sig.Algorithm, sig.Fudge, time.Now().Unix())
	}
	p, ok := t.n.primaries()[zone]
	switch {
	case !ok || req.Question[0].Qtype != dns.TypeSOA:
		resp.Rcode = dns.RcodeNotAuth
		log.Debug("notify refused", "rcode", "NOTAUTH", "reason", "not a secondary zone here")
	case !fromPrimary(sourceAddr(w), p.Servers):
		resp.Rcode = dns.RcodeRefused
		log.Debug("notify refused", "rcode", "REFUSED", "reason", "not from the zone's primary servers")
	case p.Key != "" && (sig == nil || dns.CanonicalName(sig.Hdr.Name) != p.Key):
		resp.Rcode = dns.RcodeRefused
		log.Debug("notify refused", "rcode", "REFUSED", "reason", "not signed with the zone's primary key "+p.Key)
	default:
		log.Debug("notify taken")
		t.n.noteChanged(&t.n.notified, t.n.notifiedWake, zone)
	}
	return resp
}

// fromPrimary reports whether ip is the address of one of servers (any
// port: a primary sends from its own).
func fromPrimary(ip netip.Addr, servers []string) bool {
	return slices.ContainsFunc(servers, func(s string) bool {
		ap, err := netip.ParseAddrPort(s)
		return err == nil && ap.Addr().Unmap() == ip
	})
}
