package resolver

import (
	"maps"
	"time"

	"github.com/miekg/dns"
)

// Signed service answers on the fast path. A service's answer is one of
// few RRsets (a set of chosen endpoints, A or AAAA), so the packed RRSIG
// of each is kept on the service, next to the endpoints' packed records,
// and a signed answer costs what an unsigned one does plus one copy.

// sigReuse is how long a packed signature is served before it is asked
// of the signer again, which remakes it when its refresh is due (never
// past its expiration less its TTL, whichever comes first). Asking costs
// a lookup in the signer's own cache; a minute keeps the signatures the
// fast path serves within a minute of the signer's refresh, which the
// document's signature_refresh leaves room for.
const sigReuse = time.Minute

// maxServiceSigs bounds the signatures kept per service: a policy picks
// few distinct sets; one that picks many (multivalue over many
// endpoints) gets the full path for the rest.
const maxServiceSigs = 64

// serviceSigs is a service's packed signatures under one signer. It is
// never changed once published: adding one publishes a copy.
type serviceSigs struct {
	signer Signer
	byKey  map[sigKey]packedSig
}

// sigKey names one RRset of a service: its type and which endpoints'
// records it holds (bit i for endpoint i).
type sigKey struct {
	qtype uint16
	set   uint64
}

// packedSig is the RRSIGs of one RRset packed, how many, and until when
// they are served before the signer is asked again.
type packedSig struct {
	wire  []byte
	n     int
	until time.Time
}

// serviceSig returns the packed RRSIGs of the service's qtype records of
// the chosen endpoints, signed by signer, or a zero packedSig when the
// fast path should decline (a service of more than 64 endpoints, a
// signer that fails).
func (h *Handler) serviceSig(sn *serviceNode, qtype uint16, chosen []int, signer Signer) packedSig {
	if len(sn.endpoints) > 64 {
		return packedSig{}
	}
	k := sigKey{qtype: qtype}
	for _, i := range chosen {
		k.set |= 1 << i
	}
	now := h.now()
	cur := sn.sigs.Load()
	if cur != nil && cur.signer == signer {
		if p, ok := cur.byKey[k]; ok && now.Before(p.until) {
			return p
		}
	}
	p := h.signServiceSet(sn, qtype, chosen, signer, now)
	if p.wire == nil {
		return p
	}
	next := &serviceSigs{signer: signer}
	if cur != nil && cur.signer == signer {
		if len(cur.byKey) >= maxServiceSigs {
			return p
		}
		next.byKey = maps.Clone(cur.byKey)
	}
	if next.byKey == nil {
		next.byKey = map[sigKey]packedSig{}
	}
	next.byKey[k] = p
	// A racing query may publish its own copy first; one of the two
	// signatures is lost, and made again on a later query.
	sn.sigs.CompareAndSwap(cur, next)
	return p
}

// signServiceSet signs the RRset of the chosen endpoints' qtype records
// and packs the signatures; a zero packedSig when it cannot.
func (h *Handler) signServiceSet(sn *serviceNode, qtype uint16, chosen []int, signer Signer, now time.Time) packedSig {
	var set []dns.RR
	for _, i := range chosen {
		if qtype == dns.TypeA {
			set = append(set, sn.endpoints[i].a...)
		} else {
			set = append(set, sn.endpoints[i].aaaa...)
		}
	}
	if len(set) == 0 {
		return packedSig{}
	}
	sigs, err := signer.Sign(set)
	if err != nil || len(sigs) == 0 {
		return packedSig{}
	}
	wire, ok := packRRs(sigs)
	if !ok {
		return packedSig{}
	}
	until := now.Add(sigReuse)
	for _, rr := range sigs {
		if sig, ok := rr.(*dns.RRSIG); ok {
			// A resolver keeps the answer for its TTL: it must not
			// outlive the signature there.
			end := time.Unix(serialTime(sig.Expiration, now), 0).Add(-time.Duration(sig.Hdr.Ttl) * time.Second)
			until = minTime(until, end)
		}
	}
	return packedSig{wire: wire, n: len(sigs), until: until}
}

// serialTime is the Unix time of an RRSIG time field, read in serial
// number arithmetic around now (RFC 4034 §3.1.5).
func serialTime(t uint32, now time.Time) int64 {
	return now.Unix() + int64(int32(t-uint32(now.Unix())))
}

// minTime is the earlier of a and b.
func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
