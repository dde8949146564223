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
// of the signer again, which remakes it when its refresh is due. It is
// far below any signature's validity, and asking costs only a lookup in
// the signer's own cache.
const sigReuse = time.Hour

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

// packedSig is the RRSIGs of one RRset packed, how many, and when they
// were asked of the signer.
type packedSig struct {
	wire []byte
	n    int
	made time.Time
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
		if p, ok := cur.byKey[k]; ok && now.Sub(p.made) < sigReuse {
			return p
		}
	}
	p := h.signServiceSet(sn, qtype, chosen, signer)
	if p.wire == nil {
		return p
	}
	p.made = now
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
func (h *Handler) signServiceSet(sn *serviceNode, qtype uint16, chosen []int, signer Signer) packedSig {
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
	return packedSig{wire: wire, n: len(sigs)}
}
