package policy

import (
	"net/netip"

	"github.com/gtmd/gtmd/geo"
)

// Client is what is known about the client of one query. The resolver fills
// it once per query; Select only reads it.
type Client struct {
	// Addr is the EDNS Client Subnet address (masked) or else the query's
	// source address. An IPv4-mapped IPv6 address is taken as IPv4.
	Addr netip.Addr
	// Bits is how many leading bits of Addr are known: the ECS source prefix
	// length (capped at /24 for IPv4 and /56 for IPv6), or the full length
	// for a source address. Select never returns a scope longer than Bits,
	// and a pinned network longer than Bits does not match.
	Bits int
	// Loc is the client's location; it is meaningful only when HasLoc, but
	// Loc.Network is read even when HasLoc is false (a database that does
	// not hold the address still says over which range that holds).
	Loc geo.Location
	// HasLoc is false when there is no GeoIP database or the lookup found
	// nothing.
	HasLoc bool
}

// query is the client reduced to what pin matching needs.
type query struct {
	addr  netip.Addr // unmapped; invalid when the client has no address
	bits  int        // known leading bits of addr, within 0..addr.BitLen()
	value u128       // addr as a number
}

func newQuery(c *Client) query {
	a, bits := c.Addr, c.Bits
	if a.Is4In6() {
		a, bits = a.Unmap(), bits-96
	}
	if !a.IsValid() {
		return query{}
	}
	bits = max(0, min(bits, a.BitLen()))
	return query{addr: a, bits: bits, value: toU128(a)}
}

// locScope is the scope of an answer decided by the client's location: the
// length of the database network the location holds for; with no network
// but a location, every known bit (the range is unknown); with neither (no
// GeoIP database), 0, since every client is then answered alike.
func locScope(c *Client) int {
	switch {
	case c.Loc.Network.IsValid():
		return c.Loc.Network.Bits()
	case c.HasLoc:
		return c.Bits
	default:
		return 0
	}
}
