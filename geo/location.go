package geo

import "net/netip"

// Location is what is known about where a client is.
type Location struct {
	// Country is the ISO 3166-1 alpha-2 code, upper case, "" when unknown.
	Country string
	// Subdivision is the ISO 3166-2 code of the first (largest) subdivision
	// without the country prefix ("CA" for California), "" when unknown.
	Subdivision string
	// Continent is one of AF AN AS EU NA OC SA, "" when unknown.
	Continent string
	// Lat and Lon are degrees north and east; meaningful only when HasCoords.
	Lat, Lon float64
	// HasCoords reports that Lat and Lon are meaningful: from the City
	// database, or else the embedded centroid of Country.
	HasCoords bool
	// ASN is the client's autonomous system number, 0 when unknown or when no
	// ASN database is open.
	ASN uint32
	// Network is the City or Country database network that matched, the
	// range over which this Location holds apart from ASN: the DNS layer
	// uses its length as the ECS scope. It is the zero Prefix when the lookup
	// failed. An address the database does not hold still gets the empty
	// range around it.
	Network netip.Prefix
}

// Known reports whether anything useful is known: a country, a continent or
// coordinates.
func (l Location) Known() bool {
	return l.Country != "" || l.Continent != "" || l.HasCoords
}
