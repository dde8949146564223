package testdb

import "net/netip"

// Network is one network in the test databases and what they hold for it.
//
// The City database holds every Network; the Country database holds the same
// networks without Subdivision, City and the location; the ASN database
// holds every Network whose ASN is not 0 (see ASNNetworks for its full
// contents).
type Network struct {
	// Name is a short handle tests use to pick a network: "us-ca", "de", "jp-v6".
	Name string
	// Prefix is the network as written to the City and Country databases.
	Prefix netip.Prefix
	// Country is the ISO 3166-1 alpha-2 code of the record's country, "" when
	// the record has none.
	Country string
	// Subdivision is the ISO code of the first subdivision without the country
	// prefix ("CA" for California), City database only.
	Subdivision string
	// Continent is the record's continent code, "" when it has none.
	Continent string
	// City is the English city name, City database only.
	City string
	// Lat and Lon are the City database location, meaningful when HasCoords.
	Lat, Lon float64
	// HasCoords reports that the City database record carries a location.
	HasCoords bool
	// RegisteredCountry is the registered_country code when it differs from
	// Country (an anycast-style record has only this).
	RegisteredCountry string
	// ASN is the autonomous system number the ASN database holds for Addr,
	// 0 when the ASN database does not hold Prefix.
	ASN uint32
	// ASOrg is the autonomous system organisation for ASN.
	ASOrg string
}

// Addr is a client address inside the network: the one after its network address.
func (n Network) Addr() netip.Addr { return n.Prefix.Addr().Next() }

// Cacheable reports whether the network is at least as wide as the lookup
// cache key (/24 for IPv4, /56 for IPv6), so a geo cache may store its answer.
func (n Network) Cacheable() bool {
	if n.Prefix.Addr().Is4() {
		return n.Prefix.Bits() <= 24
	}
	return n.Prefix.Bits() <= 56
}

// Documentation autonomous system numbers (RFC 5398) used by the test databases.
const (
	ASNWest    uint32 = 64496
	ASNEast    uint32 = 64497
	ASNCanada  uint32 = 64498
	ASNGermany uint32 = 64499
	ASNFrance  uint32 = 64500
	ASNUK      uint32 = 64501
	ASNJapan   uint32 = 64502
	ASNBrazil  uint32 = 64503
	ASNOceania uint32 = 64504
	ASNSG      uint32 = 64505
	ASNIndia   uint32 = 64506
	ASNAfrica  uint32 = 64507
	ASNAnycast uint32 = 64508
	// ASNTokyoIX is held only by the ASN database, for TokyoIXPrefix: a
	// network finer than the City network around it.
	ASNTokyoIX uint32 = 64510
)

// TokyoIXPrefix is an ASN-database-only network inside the "jp" network,
// narrower than /24: a location that includes its ASN cannot be cached per /24.
var TokyoIXPrefix = netip.MustParsePrefix("198.19.1.0/28")

// Unknown is an address no test database holds (TEST-NET-1, RFC 5737).
var Unknown = netip.MustParseAddr("192.0.2.1")

// Networks returns every network of the test databases, a fresh copy each
// call. IPv4 networks are inside the benchmarking range 198.18.0.0/15
// (RFC 2544) and IPv6 networks inside the documentation range 2001:db8::/32
// (RFC 3849), so they never collide with real client addresses or with the
// TEST-NET ranges that configurations use for endpoints.
//
// The set covers: US (subdivisions CA, VA, NY), CA, DE, FR, GB, JP, BR, AU;
// two networks finer than /24 (sg-fine, in-fine); a record without a location
// (za-nocoords, for the country-centroid fallback); a record with only a
// registered country (anycast: unknown location); an empty record (empty); and
// IPv6 networks, one finer than /56 (au-fine-v6).
func Networks() []Network {
	return []Network{
		{Name: "us-ca", Prefix: p("198.18.0.0/19"), Country: "US", Subdivision: "CA", Continent: "NA", City: "San Jose", Lat: 37.3394, Lon: -121.895, HasCoords: true, ASN: ASNWest, ASOrg: "Example West Networks"},
		{Name: "us-va", Prefix: p("198.18.32.0/20"), Country: "US", Subdivision: "VA", Continent: "NA", City: "Ashburn", Lat: 39.0438, Lon: -77.4874, HasCoords: true, ASN: ASNEast, ASOrg: "Example East Networks"},
		{Name: "us-ny", Prefix: p("198.18.48.0/21"), Country: "US", Subdivision: "NY", Continent: "NA", City: "New York", Lat: 40.7128, Lon: -74.006, HasCoords: true, ASN: ASNEast, ASOrg: "Example East Networks"},
		{Name: "ca", Prefix: p("198.18.64.0/18"), Country: "CA", Subdivision: "ON", Continent: "NA", City: "Toronto", Lat: 43.6532, Lon: -79.3832, HasCoords: true, ASN: ASNCanada, ASOrg: "Example Canada"},
		{Name: "de", Prefix: p("198.18.128.0/18"), Country: "DE", Subdivision: "HE", Continent: "EU", City: "Frankfurt am Main", Lat: 50.1109, Lon: 8.6821, HasCoords: true, ASN: ASNGermany, ASOrg: "Example Deutschland"},
		{Name: "fr", Prefix: p("198.18.192.0/19"), Country: "FR", Subdivision: "IDF", Continent: "EU", City: "Paris", Lat: 48.8566, Lon: 2.3522, HasCoords: true, ASN: ASNFrance, ASOrg: "Example France"},
		{Name: "gb", Prefix: p("198.18.224.0/19"), Country: "GB", Subdivision: "ENG", Continent: "EU", City: "London", Lat: 51.5074, Lon: -0.1278, HasCoords: true, ASN: ASNUK, ASOrg: "Example UK"},
		{Name: "jp", Prefix: p("198.19.0.0/17"), Country: "JP", Subdivision: "13", Continent: "AS", City: "Tokyo", Lat: 35.6895, Lon: 139.6917, HasCoords: true, ASN: ASNJapan, ASOrg: "Example Japan"},
		{Name: "br", Prefix: p("198.19.128.0/18"), Country: "BR", Subdivision: "SP", Continent: "SA", City: "São Paulo", Lat: -23.5505, Lon: -46.6333, HasCoords: true, ASN: ASNBrazil, ASOrg: "Example Brasil"},
		{Name: "au", Prefix: p("198.19.192.0/19"), Country: "AU", Subdivision: "NSW", Continent: "OC", City: "Sydney", Lat: -33.8688, Lon: 151.2093, HasCoords: true, ASN: ASNOceania, ASOrg: "Example Oceania"},
		{Name: "sg-fine", Prefix: p("198.19.224.0/26"), Country: "SG", Continent: "AS", City: "Singapore", Lat: 1.2897, Lon: 103.8501, HasCoords: true, ASN: ASNSG, ASOrg: "Example Singapore"},
		{Name: "in-fine", Prefix: p("198.19.224.64/26"), Country: "IN", Subdivision: "MH", Continent: "AS", City: "Mumbai", Lat: 19.076, Lon: 72.8777, HasCoords: true, ASN: ASNIndia, ASOrg: "Example India"},
		{Name: "za-nocoords", Prefix: p("198.19.225.0/24"), Country: "ZA", Continent: "AF", ASN: ASNAfrica, ASOrg: "Example Africa"},
		{Name: "anycast", Prefix: p("198.19.226.0/24"), RegisteredCountry: "US", ASN: ASNAnycast, ASOrg: "Example Anycast"},
		{Name: "empty", Prefix: p("198.19.227.0/24")},
		{Name: "us-ca-v6", Prefix: p("2001:db8:100::/40"), Country: "US", Subdivision: "CA", Continent: "NA", City: "San Jose", Lat: 37.3394, Lon: -121.895, HasCoords: true, ASN: ASNWest, ASOrg: "Example West Networks"},
		{Name: "de-v6", Prefix: p("2001:db8:200::/40"), Country: "DE", Subdivision: "HE", Continent: "EU", City: "Frankfurt am Main", Lat: 50.1109, Lon: 8.6821, HasCoords: true, ASN: ASNGermany, ASOrg: "Example Deutschland"},
		{Name: "jp-v6", Prefix: p("2001:db8:300::/40"), Country: "JP", Subdivision: "13", Continent: "AS", City: "Tokyo", Lat: 35.6895, Lon: 139.6917, HasCoords: true, ASN: ASNJapan, ASOrg: "Example Japan"},
		{Name: "gb-v6", Prefix: p("2001:db8:400::/48"), Country: "GB", Subdivision: "ENG", Continent: "EU", City: "London", Lat: 51.5074, Lon: -0.1278, HasCoords: true, ASN: ASNUK, ASOrg: "Example UK"},
		{Name: "au-fine-v6", Prefix: p("2001:db8:500::/64"), Country: "AU", Subdivision: "NSW", Continent: "OC", City: "Sydney", Lat: -33.8688, Lon: 151.2093, HasCoords: true, ASN: ASNOceania, ASOrg: "Example Oceania"},
		{Name: "br-v6", Prefix: p("2001:db8:600::/44"), Country: "BR", Subdivision: "SP", Continent: "SA", City: "São Paulo", Lat: -23.5505, Lon: -46.6333, HasCoords: true, ASN: ASNBrazil, ASOrg: "Example Brasil"},
	}
}

// ByName returns the network called name in Networks.
func ByName(name string) (Network, bool) {
	for _, n := range Networks() {
		if n.Name == name {
			return n, true
		}
	}
	return Network{}, false
}

// ASNNetwork is one network of the ASN database.
type ASNNetwork struct {
	Prefix netip.Prefix
	ASN    uint32
	Org    string
}

// ASNNetworks returns the full contents of the ASN database: the networks of
// Networks with a non-zero ASN, then TokyoIXPrefix (inserted last, so it
// overrides the "jp" network it sits in).
func ASNNetworks() []ASNNetwork {
	var out []ASNNetwork
	for _, n := range Networks() {
		if n.ASN != 0 {
			out = append(out, ASNNetwork{Prefix: n.Prefix, ASN: n.ASN, Org: n.ASOrg})
		}
	}
	return append(out, ASNNetwork{Prefix: TokyoIXPrefix, ASN: ASNTokyoIX, Org: "Example Tokyo IX"})
}

func p(s string) netip.Prefix { return netip.MustParsePrefix(s) }
