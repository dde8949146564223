package resolver

// Client prefixes longer than these are not used to locate a client: no
// GeoIP database is finer, and resolvers are asked to send no more (RFC
// 7871 §11.1).
const (
	maxClientBits4 = 24
	maxClientBits6 = 56
)

// locate fills r.client once per query: the client subnet when the query
// carried one, else the source address; its location when a GeoIP
// database is loaded.
func (h *Handler) locate(r *request) {
	if r.located {
		return
	}
	r.located = true
	addr, bits := r.source, r.source.BitLen()
	if r.ecs && r.ecsBits > 0 {
		addr, bits = r.ecsAddr, int(r.ecsBits)
	}
	if addr.Is4() {
		bits = min(bits, maxClientBits4)
	} else {
		bits = min(bits, maxClientBits6)
	}
	p, _ := addr.Prefix(bits)
	r.client.Addr, r.client.Bits = p.Addr(), bits
	if h.locator != nil && addr.IsValid() {
		r.client.Loc = h.locator.Locate(r.client.Addr)
		r.client.HasLoc = r.client.Loc.Known()
	}
}
