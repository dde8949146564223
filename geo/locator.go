package geo

import "net/netip"

// Locator places a client address. It is what pkg/policy and pkg/resolver
// depend on; Database and Provider implement it, and tests may pass a fake.
//
// Locate never fails: an address that cannot be placed gives a Location whose
// Known method reports false. It is safe for concurrent use.
type Locator interface {
	Locate(addr netip.Addr) Location
}

var (
	_ Locator = (*Database)(nil)
	_ Locator = (*Provider)(nil)
)
