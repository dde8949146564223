package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// updater serves RFC 2136 UPDATE messages that the DNS listeners hand
// over (resolver.ServerOptions.Update): it decides from the store's
// latest state and writes through the store, so the resolver never
// waits on I/O. Only TSIG-signed updates are taken, each key limited to
// its zone's update_policy; a change is acknowledged once etcd has
// committed it, and every node serves it when its watch delivers it.
type updater struct {
	n *Node
}

var _ dns.Handler = updater{}

// updateTimeout bounds the store's part of one update.
const updateTimeout = 5 * time.Second

// updateTries is how often an update is computed again when another
// writer changed the zone between its read and its commit.
const updateTries = 3

// refusal is why an update is answered with rcode and changes nothing.
type refusal struct {
	rcode  int
	reason string
}

func refuse(rcode int, format string, args ...any) *refusal {
	return &refusal{rcode: rcode, reason: fmt.Sprintf(format, args...)}
}

// ServeDNS answers one UPDATE.
func (u updater) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	_ = w.WriteMsg(u.answer(w, req))
}

// answer decides an UPDATE and returns the response, signed with the
// request's key when it verified.
func (u updater) answer(w dns.ResponseWriter, req *dns.Msg) *dns.Msg {
	log := u.n.log.With("source", sourceOf(w), "zone", req.Question[0].Name)
	t := req.IsTsig()
	if t == nil {
		log.Info("dynamic update refused", "rcode", "REFUSED", "reason", "not TSIG-signed")
		return new(dns.Msg).SetRcode(req, dns.RcodeRefused)
	}
	log = log.With("key", t.Hdr.Name)
	if err := w.TsigStatus(); err != nil {
		resp := resolver.TSIGFailure(req, err)
		log.Info("dynamic update refused", "rcode", "NOTAUTH", "tsig_error", dns.RcodeToString[int(resp.IsTsig().Error)])
		return resp
	}
	resp := new(dns.Msg).SetReply(req)
	ctx, cancel := context.WithTimeout(context.Background(), updateTimeout)
	defer cancel()
	rev, changed, r := u.apply(ctx, req, dns.CanonicalName(t.Hdr.Name))
	if r != nil {
		resp.Rcode = r.rcode
		log.Info("dynamic update refused", "rcode", dns.RcodeToString[r.rcode], "reason", r.reason)
	} else {
		log.Info("dynamic update applied", "revision", rev, "rrsets", changed)
	}
	resp.SetTsig(t.Hdr.Name, t.Algorithm, t.Fudge, time.Now().Unix())
	return resp
}

func sourceOf(w dns.ResponseWriter) string {
	if a := sourceAddr(w); a.IsValid() {
		return a.String()
	}
	return ""
}

// sourceAddr is the address a message came from (IPv4 unmapped), the
// zero address when the listener's is neither UDP nor TCP.
func sourceAddr(w dns.ResponseWriter) netip.Addr {
	var ip netip.Addr
	switch a := w.RemoteAddr().(type) {
	case *net.UDPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	}
	return ip.Unmap()
}

// apply checks req against the zone's policy and prerequisites and
// commits its changes; it returns the revision and the number of RRsets
// changed, or why nothing was.
func (u updater) apply(ctx context.Context, req *dns.Msg, key string) (int64, int, *refusal) {
	q := req.Question[0]
	if q.Qtype != dns.TypeSOA {
		return 0, 0, refuse(dns.RcodeFormatError, "the zone section asks for type %s, not SOA", dns.TypeToString[q.Qtype])
	}
	zone := dns.CanonicalName(q.Name)
	u.n.mu.Lock()
	traffic, store := u.n.traffic, u.n.store
	u.n.mu.Unlock()
	z := zoneOf(traffic, zone)
	if q.Qclass != dns.ClassINET || z == nil || store == nil {
		return 0, 0, refuse(dns.RcodeNotAuth, "not a zone served here")
	}
	var rules []config.UpdateRule
	for _, r := range z.UpdatePolicy {
		if r.Key == key {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return 0, 0, refuse(dns.RcodeRefused, "the zone's update_policy has no entry for this key")
	}
	services := serviceNames(traffic)
	if r := checkUpdates(req.Ns, zone, rules, services); r != nil {
		return 0, 0, r
	}
	st := store.State()
	base, stored := st.Zones[zone], zoneOf(st.Traffic, zone)
	for try := 1; ; try++ {
		v := newZoneView(zone, stored, base, services)
		if r := v.prerequisites(req.Answer); r != nil {
			return 0, 0, r
		}
		if r := v.update(req.Ns, rules); r != nil {
			return 0, 0, r
		}
		puts, deletes := v.changes()
		rev, err := store.UpdateZone(ctx, zone, base, puts, deletes)
		var changed *cluster.ZoneChangedError
		if errors.As(err, &changed) && try < updateTries {
			// Another writer was first: read the zone as it is now.
			if base, err = store.ZoneRecords(ctx, zone); err == nil {
				continue
			}
		}
		if err != nil {
			return 0, 0, refuse(dns.RcodeServerFailure, "storing the change: %v", err)
		}
		return rev, len(puts) + len(deletes), nil
	}
}

// zoneOf is the zone of t named zone (lower case), nil when none.
func zoneOf(t *config.Traffic, zone string) *config.Zone {
	if i := zoneIndex(t, zone); i >= 0 {
		return &t.Zones[i]
	}
	return nil
}

// zoneIndex is the index of zone in t's zones, -1 when t has none of
// that name.
func zoneIndex(t *config.Traffic, zone string) int {
	if t == nil {
		return -1
	}
	for i := range t.Zones {
		if cluster.ZoneName(t.Zones[i].Name) == zone {
			return i
		}
	}
	return -1
}

// checkUpdates checks the update section's form (RFC 2136 §3.4.1) and
// that the key may make each change: every record inside the zone, none
// of the SOA or the apex NS (the document's), none at a service's name,
// each name and type allowed by one of rules.
func checkUpdates(rrs []dns.RR, zone string, rules []config.UpdateRule, services map[string]bool) *refusal {
	for _, rr := range rrs {
		h := rr.Header()
		owner := dns.CanonicalName(h.Name)
		if !dns.IsSubDomain(zone, owner) {
			return refuse(dns.RcodeNotZone, "%s is outside the zone", owner)
		}
		switch h.Class {
		case dns.ClassINET:
			if h.Rrtype == dns.TypeANY || h.Rrtype == dns.TypeAXFR || h.Rrtype == dns.TypeIXFR || h.Rrtype == dns.TypeOPT || h.Rrtype == dns.TypeTSIG {
				return refuse(dns.RcodeFormatError, "%s: type %s cannot be added", owner, dns.TypeToString[h.Rrtype])
			}
		case dns.ClassANY:
			if h.Ttl != 0 || h.Rdlength != 0 {
				return refuse(dns.RcodeFormatError, "%s: a deletion of class ANY has TTL 0 and no data", owner)
			}
		case dns.ClassNONE:
			if h.Ttl != 0 || h.Rrtype == dns.TypeANY {
				return refuse(dns.RcodeFormatError, "%s: a deletion of class NONE has TTL 0 and a type", owner)
			}
		default:
			return refuse(dns.RcodeFormatError, "%s: class %s", owner, dns.ClassToString[h.Class])
		}
		if h.Rrtype == dns.TypeSOA || (h.Rrtype == dns.TypeNS && owner == zone) || (h.Rrtype == dns.TypeANY && owner == zone) {
			if h.Rrtype == dns.TypeANY {
				return refuse(dns.RcodeRefused, "deleting every RRset of the apex would delete its SOA and NS, which the traffic document states")
			}
			return refuse(dns.RcodeRefused, "%s %s comes from the traffic document", owner, dns.TypeToString[h.Rrtype])
		}
		if services[owner] {
			return refuse(dns.RcodeRefused, "%s is a service of the traffic document: its records come from its endpoints", owner)
		}
		if h.Rrtype == dns.TypeANY {
			// Deleting a name: the key must be allowed the name for
			// every type (the view checks the types it holds).
			if !allowedName(rules, zone, owner) {
				return refuse(dns.RcodeRefused, "the update_policy does not let this key change %s", owner)
			}
			continue
		}
		if !allowed(rules, zone, owner, h.Rrtype) {
			return refuse(dns.RcodeRefused, "the update_policy does not let this key change %s %s", owner, dns.TypeToString[h.Rrtype])
		}
	}
	return nil
}

func allowed(rules []config.UpdateRule, zone, owner string, typ uint16) bool {
	for i := range rules {
		if rules[i].Allows(zone, owner, typ) {
			return true
		}
	}
	return false
}

// allowedName reports whether a rule allows some type at owner; the
// types present there are checked when the name is deleted.
func allowedName(rules []config.UpdateRule, zone, owner string) bool {
	for _, r := range rules {
		names := r
		names.Types = nil
		if names.Allows(zone, owner, dns.TypeA) {
			return true
		}
	}
	return false
}
