package geo

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/oschwald/geoip2-golang/v2"
)

// Database is an open set of GeoIP2 readers: a City or Country database plus
// an optional ASN database. Locate is safe for concurrent use; Close must not
// run while a Locate does (Provider takes care of that when databases are
// replaced while queries run).
//
// The files are memory-mapped: replace them by renaming a new file over the
// old (as geoipupdate does), never by rewriting them in place.
type Database struct {
	loc *geoip2.Reader // City or Country: read with City, which serves both
	asn *geoip2.Reader // nil without an ASN database
}

// DatabaseTypeError reports a database whose metadata database_type is not
// what its role needs, e.g. an ASN database given as the City database.
type DatabaseTypeError struct {
	Got  string // the database_type found in the file
	Want string // what the role accepts
}

// Error says what was found and what was wanted.
func (e *DatabaseTypeError) Error() string {
	return fmt.Sprintf("database type is %q, want %s", e.Got, e.Want)
}

const (
	wantLocation = "a City or Country database (GeoIP2, GeoLite2 or DB-IP)"
	wantASN      = "an ASN database (GeoLite2-ASN, DBIP-ASN-Lite or GeoIP2-ISP)"
)

// supportsCity reports whether r answers City lookups: the GeoIP2, GeoLite2
// and DB-IP City, Country and Enterprise types, as geoip2-golang lists them.
// Asking for the invalid address makes geoip2 check the database type first
// and then fail the lookup without reading a record, so the set gtmd accepts
// is the library's own rather than a copy that could drift from it.
func supportsCity(r *geoip2.Reader) bool {
	_, err := r.City(netip.Addr{})
	return !errors.As(err, new(geoip2.InvalidMethodError))
}

// supportsASN reports whether r answers ASN lookups: GeoLite2-ASN,
// "DBIP-ASN-Lite (compat=GeoLite2-ASN)", GeoIP2-ISP and GeoIP2-Precision-ISP
// (see supportsCity for how).
func supportsASN(r *geoip2.Reader) bool {
	_, err := r.ASN(netip.Addr{})
	return !errors.As(err, new(geoip2.InvalidMethodError))
}

// Open opens the City or Country database at path and, unless asnPath is "",
// the ASN database at asnPath. It fails, naming the file, when a file is
// missing, unreadable, not an mmdb file, or of the wrong type
// (*DatabaseTypeError).
func Open(path, asnPath string) (*Database, error) {
	loc, err := openReader("City/Country", path, supportsCity, wantLocation)
	if err != nil {
		return nil, err
	}
	d := &Database{loc: loc}
	if asnPath != "" {
		d.asn, err = openReader("ASN", asnPath, supportsASN, wantASN)
		if err != nil {
			_ = loc.Close()
			return nil, err
		}
	}
	return d, nil
}

func openReader(role, path string, supports func(*geoip2.Reader) bool, want string) (*geoip2.Reader, error) {
	if path == "" {
		return nil, fmt.Errorf("geo: open %s database: no path given", role)
	}
	r, err := geoip2.Open(path)
	var unknown geoip2.UnknownDatabaseTypeError
	switch {
	case errors.As(err, &unknown): // the file opened, but geoip2 reads no such type
		_ = r.Close()
		return nil, fmt.Errorf("geo: open %s database %q: %w", role, path, &DatabaseTypeError{Got: unknown.DatabaseType, Want: want})
	case err != nil:
		return nil, fmt.Errorf("geo: open %s database %q: %w", role, path, err)
	}
	if !supports(r) {
		t := r.Metadata().DatabaseType
		_ = r.Close()
		return nil, fmt.Errorf("geo: open %s database %q: %w", role, path, &DatabaseTypeError{Got: t, Want: want})
	}
	return r, nil
}

// Kind returns the City or Country database's type as its metadata names it,
// e.g. "GeoLite2-City" or "DBIP-Country-Lite".
func (d *Database) Kind() string { return d.loc.Metadata().DatabaseType }

// BuildTime returns when the City or Country database was built.
func (d *Database) BuildTime() time.Time { return d.loc.Metadata().BuildTime() }

// Close releases the databases. Locate must not run during or after Close.
func (d *Database) Close() error {
	err := d.loc.Close()
	if d.asn != nil {
		err = errors.Join(err, d.asn.Close())
	}
	if err != nil {
		return fmt.Errorf("geo: close database: %w", err)
	}
	return nil
}

// Locate returns what the databases know about addr. IPv4-mapped IPv6
// addresses are located as the IPv4 address they map. An address the
// databases do not hold, or cannot be read for, gives an unknown Location
// (see Location.Network).
func (d *Database) Locate(addr netip.Addr) Location {
	loc, _ := d.locate(addr)
	return loc
}

// locate is Locate, also reporting whether loc holds, ASN included, for every
// address of addr's cache key (its /24 or /56): both databases matched a
// network at least that wide.
func (d *Database) locate(addr netip.Addr) (Location, bool) {
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() {
		return Location{}, false
	}
	// An error is a lookup that failed (IPv6 in an IPv4-only database) or a
	// corrupt record: unknown, and not cached.
	rec, err := d.loc.City(addr)
	if err != nil {
		return Location{}, false
	}
	loc := cityLocation(rec)
	loc.Network = normalizeNetwork(rec.Traits.Network, addr)
	cacheable := coversCacheKey(loc.Network)
	if d.asn != nil {
		a, err := d.asn.ASN(addr)
		if err != nil {
			return loc, false
		}
		if a.AutonomousSystemNumber <= math.MaxUint32 {
			loc.ASN = uint32(a.AutonomousSystemNumber)
		}
		cacheable = cacheable && coversCacheKey(normalizeNetwork(a.Network, addr))
	}
	return loc, cacheable
}

// cityLocation turns a City record into a Location, filling the continent and
// the coordinates from the country table when the record lacks them. The
// subdivision is the first (largest) one's ISO 3166-2 code as the database
// writes it, without the country prefix ("CA", not "US-CA").
func cityLocation(r *geoip2.City) Location {
	loc := Location{
		Country:   upperASCII(r.Country.ISOCode),
		Continent: upperASCII(r.Continent.Code),
	}
	if len(r.Subdivisions) > 0 {
		loc.Subdivision = r.Subdivisions[0].ISOCode
	}
	if r.Location.HasCoordinates() {
		loc.Lat, loc.Lon, loc.HasCoords = *r.Location.Latitude, *r.Location.Longitude, true
	}
	if f, ok := lookupCountry(loc.Country); ok {
		if loc.Continent == "" {
			loc.Continent = f.continent
		}
		if !loc.HasCoords {
			loc.Lat, loc.Lon, loc.HasCoords = f.lat, f.lon, true
		}
	}
	return loc
}

// normalizeNetwork returns the network a lookup of addr matched. An IPv4
// address in an IPv6 tree without an IPv4 subtree matched above ::/96: every
// IPv4 address shares the answer.
func normalizeNetwork(p netip.Prefix, addr netip.Addr) netip.Prefix {
	if p.IsValid() && addr.Is4() && !p.Addr().Is4() {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	return p
}

// upperASCII returns s in upper case, allocating only when s has a lower-case
// letter (databases write codes in upper case).
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}
