package resolver

import "github.com/gtmd/gtmd/geo"

// setClientPrefix works out once per query which network the client is
// taken to be in: the client subnet when the query carried one, cut to
// what a GeoIP database can tell apart, else the whole source address. The
// source address is not cut: a `networks` pin longer than /24 (or /56),
// such as one resolver's /32, must still match it (policy.Client.Bits).
func (r *request) setClientPrefix() {
	if r.clientPrefix.IsValid() || !r.source.IsValid() && !r.ecs {
		return
	}
	addr, bits := r.source, r.source.BitLen()
	if r.ecs && r.ecsBits > 0 {
		// No GeoIP database is finer than geo's limits, and resolvers are
		// asked to send no more (RFC 7871 §11.1).
		addr, bits = r.ecsAddr, int(r.ecsBits)
		if addr.Is4() {
			bits = min(bits, geo.MaxClientBitsIPv4)
		} else {
			bits = min(bits, geo.MaxClientBitsIPv6)
		}
	}
	r.clientPrefix, _ = addr.Prefix(bits)
	r.client.Addr, r.client.Bits = r.clientPrefix.Addr(), bits
}

// locate fills in the client's location, once per query, when a GeoIP
// database is loaded.
func (h *Handler) locate(r *request) {
	if r.located {
		return
	}
	r.located = true
	r.setClientPrefix()
	if h.locator != nil && r.client.Addr.IsValid() {
		r.client.Loc = h.locator.Locate(r.client.Addr)
		r.client.HasLoc = r.client.Loc.Known()
	}
}
