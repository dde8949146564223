package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Database is an open set of mmdb readers: a City or Country database plus an
// optional ASN database. Locate is safe for concurrent use; Close must not
// run while a Locate does (Provider takes care of that when databases are
// replaced while queries run).
//
// The files are memory-mapped: replace them by renaming a new file over the
// old (as geoipupdate does), never by rewriting them in place.
type Database struct {
	loc *maxminddb.Reader // City or Country
	asn *maxminddb.Reader // nil without an ASN database
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

// isLocationType accepts City and Country databases: GeoIP2-City,
// GeoLite2-City, GeoIP2-Country, GeoLite2-Country, DBIP-City-Lite,
// DBIP-Country-Lite, "DBIP-Location (compat=City)", the regional GeoIP2-City
// editions, and Enterprise editions, whose records extend the City layout.
func isLocationType(t string) bool {
	return strings.Contains(t, "City") || strings.Contains(t, "Country") || strings.Contains(t, "Enterprise")
}

// isASNType accepts databases with autonomous_system_number at the top of each
// record: GeoLite2-ASN, "DBIP-ASN-Lite (compat=GeoLite2-ASN)" and GeoIP2-ISP.
func isASNType(t string) bool {
	return strings.Contains(t, "ASN") || t == "GeoIP2-ISP" || t == "GeoIP2-Precision-ISP"
}

// Open opens the City or Country database at path and, unless asnPath is "",
// the ASN database at asnPath. It fails, naming the file, when a file is
// missing, unreadable, not an mmdb file, or of the wrong type
// (*DatabaseTypeError).
func Open(path, asnPath string) (*Database, error) {
	loc, err := openReader("City/Country", path, isLocationType, wantLocation)
	if err != nil {
		return nil, err
	}
	d := &Database{loc: loc}
	if asnPath != "" {
		d.asn, err = openReader("ASN", asnPath, isASNType, wantASN)
		if err != nil {
			_ = loc.Close()
			return nil, err
		}
	}
	return d, nil
}

func openReader(role, path string, accept func(string) bool, want string) (*maxminddb.Reader, error) {
	if path == "" {
		return nil, fmt.Errorf("geo: open %s database: no path given", role)
	}
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open %s database %q: %w", role, path, err)
	}
	if t := r.Metadata.DatabaseType; !accept(t) {
		_ = r.Close()
		return nil, fmt.Errorf("geo: open %s database %q: %w", role, path, &DatabaseTypeError{Got: t, Want: want})
	}
	return r, nil
}

// Kind returns the City or Country database's type as its metadata names it,
// e.g. "GeoLite2-City" or "DBIP-Country-Lite".
func (d *Database) Kind() string { return d.loc.Metadata.DatabaseType }

// BuildTime returns when the City or Country database was built.
func (d *Database) BuildTime() time.Time { return d.loc.Metadata.BuildTime() }

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
	res := d.loc.Lookup(addr)
	if res.Err() != nil { // e.g. IPv6 in an IPv4-only database
		return Location{}, false
	}
	network := normalizeNetwork(res.Prefix(), addr)
	var rec cityRecord
	if res.Found() {
		if err := res.Decode(&rec); err != nil { // a corrupt record: unknown, not cached
			return Location{Network: network}, false
		}
	}
	loc := rec.location()
	loc.Network = network
	cacheable := coversCacheKey(network)
	if d.asn != nil {
		res := d.asn.Lookup(addr)
		var a asnRecord
		if res.Err() != nil || (res.Found() && res.Decode(&a) != nil) {
			return loc, false
		}
		loc.ASN = a.asn
		cacheable = cacheable && coversCacheKey(normalizeNetwork(res.Prefix(), addr))
	}
	return loc, cacheable
}

// location turns a decoded record into a Location, filling the continent and
// the coordinates from the country table when the record lacks them.
func (r *cityRecord) location() Location {
	loc := Location{
		Country:     upperASCII(r.country),
		Subdivision: r.subdivision,
		Continent:   upperASCII(r.continent),
	}
	if r.hasLat && r.hasLon {
		loc.Lat, loc.Lon, loc.HasCoords = r.lat, r.lon, true
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
