package geo

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/gtmd/gtmd/geo/testdb"
)

func TestLocateEveryNetwork(t *testing.T) {
	city, country, asn := testDBs(t)
	cases := []struct {
		name    string
		path    string
		asnPath string
		schema  testdb.Schema
	}{
		{"city", city, "", testdb.CitySchema},
		{"city+asn", city, asn, testdb.CitySchema},
		{"country", country, "", testdb.CountrySchema},
		{"country+asn", country, asn, testdb.CountrySchema},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t, tc.path, tc.asnPath)
			for _, n := range testdb.Networks() {
				want := expectedLocation(t, n, tc.schema, tc.asnPath != "")
				for _, addr := range []netip.Addr{n.Addr(), lastAddr(n.Prefix)} {
					if got := db.Locate(addr); got != want {
						t.Errorf("%s: Locate(%s)\n got %+v\nwant %+v", n.Name, addr, got, want)
					}
				}
			}
		})
	}
}

// TestLocateLiterals spells out a few answers rather than deriving them from
// the testdb table.
func TestLocateLiterals(t *testing.T) {
	city, country, asn := testDBs(t)
	cityDB := openDB(t, city, asn)
	countryDB := openDB(t, country, "")
	cases := []struct {
		name string
		db   *Database
		addr string
		want Location
	}{
		{"city US-CA", cityDB, "198.18.0.1", Location{
			Country: "US", Subdivision: "CA", Continent: "NA", Lat: 37.3394, Lon: -121.895, HasCoords: true,
			ASN: 64496, Network: netip.MustParsePrefix("198.18.0.0/19"),
		}},
		{"city IPv6 JP", cityDB, "2001:db8:3ab::1", Location{
			Country: "JP", Subdivision: "13", Continent: "AS", Lat: 35.6895, Lon: 139.6917, HasCoords: true,
			ASN: 64502, Network: netip.MustParsePrefix("2001:db8:300::/40"),
		}},
		{"city record without location: ZA centroid", cityDB, "198.19.225.77", Location{
			Country: "ZA", Continent: "AF", Lat: -29.0, Lon: 24.0, HasCoords: true,
			ASN: 64507, Network: netip.MustParsePrefix("198.19.225.0/24"),
		}},
		{"city ASN from a finer ASN network", cityDB, "198.19.1.5", Location{
			Country: "JP", Subdivision: "13", Continent: "AS", Lat: 35.6895, Lon: 139.6917, HasCoords: true,
			ASN: testdb.ASNTokyoIX, Network: netip.MustParsePrefix("198.19.0.0/17"),
		}},
		{"city registered country only: unknown", cityDB, "198.19.226.9", Location{
			ASN: 64508, Network: netip.MustParsePrefix("198.19.226.0/24"),
		}},
		{"city empty record: unknown", cityDB, "198.19.227.1", Location{
			Network: netip.MustParsePrefix("198.19.227.0/24"),
		}},
		{"country US: centroid, no subdivision", countryDB, "198.18.40.1", Location{
			Country: "US", Continent: "NA", Lat: 39.8, Lon: -98.6, HasCoords: true,
			Network: netip.MustParsePrefix("198.18.32.0/20"),
		}},
		{"country DE IPv6", countryDB, "2001:db8:2ff:ffff::1", Location{
			Country: "DE", Continent: "EU", Lat: 51.0, Lon: 9.0, HasCoords: true,
			Network: netip.MustParsePrefix("2001:db8:200::/40"),
		}},
		{"IPv4-mapped IPv6", cityDB, "::ffff:198.18.200.1", Location{
			Country: "FR", Subdivision: "IDF", Continent: "EU", Lat: 48.8566, Lon: 2.3522, HasCoords: true,
			ASN: 64500, Network: netip.MustParsePrefix("198.18.192.0/19"),
		}},
		{"IPv6 with zone", cityDB, "2001:db8:400::1%eth0", Location{
			Country: "GB", Subdivision: "ENG", Continent: "EU", Lat: 51.5074, Lon: -0.1278, HasCoords: true,
			ASN: 64501, Network: netip.MustParsePrefix("2001:db8:400::/48"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.db.Locate(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("Locate(%s)\n got %+v\nwant %+v", tc.addr, got, tc.want)
			}
		})
	}
}

func TestLocateUnknown(t *testing.T) {
	city, _, asn := testDBs(t)
	db := openDB(t, city, asn)
	for _, s := range []string{"192.0.2.1", "8.8.8.8", "198.19.224.200", "2001:db8:ffff::1", "::ffff:192.0.2.1", "2600::1"} {
		addr := netip.MustParseAddr(s)
		got := db.Locate(addr)
		if got.Known() || got.Country != "" || got.Continent != "" || got.Subdivision != "" || got.HasCoords || got.ASN != 0 {
			t.Errorf("Locate(%s) = %+v, want unknown", s, got)
		}
		if !got.Network.IsValid() || !got.Network.Contains(addr.Unmap()) {
			t.Errorf("Locate(%s).Network = %v, want the empty network around the address", s, got.Network)
		}
	}
	if got := db.Locate(netip.Addr{}); got != (Location{}) {
		t.Errorf("Locate(invalid) = %+v, want zero", got)
	}
}

func TestLocateIPv4OnlyDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v4.mmdb")
	if err := testdb.Write(path, testdb.CitySchema, testdb.Options{DatabaseType: "GeoLite2-City", IPv4Only: true}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, path, "")
	us, _ := testdb.ByName("us-va")
	if got := db.Locate(us.Addr()); got.Country != "US" || got.Network != us.Prefix {
		t.Errorf("Locate(%s) = %+v, want US in %s", us.Addr(), got, us.Prefix)
	}
	de6, _ := testdb.ByName("de-v6")
	if got := db.Locate(de6.Addr()); got != (Location{}) {
		t.Errorf("IPv6 Locate(%s) in an IPv4-only database = %+v, want zero", de6.Addr(), got)
	}
}

func TestOpenAcceptsDatabaseTypes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		dbType string
		schema testdb.Schema
	}{
		{"GeoIP2-City", testdb.CitySchema},
		{"GeoLite2-City", testdb.CitySchema},
		{"GeoIP2-City-Europe", testdb.CitySchema},
		{"GeoIP2-Enterprise", testdb.CitySchema},
		{"DBIP-City-Lite", testdb.CitySchema},
		{"DBIP-Location (compat=City)", testdb.CitySchema},
		{"GeoIP2-Country", testdb.CountrySchema},
		{"GeoLite2-Country", testdb.CountrySchema},
		{"DBIP-Country-Lite", testdb.CountrySchema},
	}
	asnPath := filepath.Join(dir, "dbip-asn.mmdb")
	if err := testdb.Write(asnPath, testdb.ASNSchema, testdb.Options{DatabaseType: "DBIP-ASN-Lite (compat=GeoLite2-ASN)"}); err != nil {
		t.Fatal(err)
	}
	de, _ := testdb.ByName("de")
	for i, tc := range cases {
		t.Run(tc.dbType, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i))+".mmdb")
			if err := testdb.Write(path, tc.schema, testdb.Options{DatabaseType: tc.dbType}); err != nil {
				t.Fatal(err)
			}
			db := openDB(t, path, asnPath)
			if got := db.Kind(); got != tc.dbType {
				t.Errorf("Kind() = %q, want %q", got, tc.dbType)
			}
			if got := db.BuildTime().Unix(); got != testdb.BuildEpoch {
				t.Errorf("BuildTime() = %d, want %d", got, testdb.BuildEpoch)
			}
			if got, want := db.Locate(de.Addr()), expectedLocation(t, de, tc.schema, true); got != want {
				t.Errorf("Locate(%s)\n got %+v\nwant %+v", de.Addr(), got, want)
			}
		})
	}
}

func TestOpenAcceptsASNTypes(t *testing.T) {
	city, _, _ := testDBs(t)
	dir := t.TempDir()
	de, _ := testdb.ByName("de")
	for i, dbType := range []string{"GeoLite2-ASN", "DBIP-ASN-Lite (compat=GeoLite2-ASN)", "GeoIP2-ISP", "GeoIP2-Precision-ISP"} {
		t.Run(dbType, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i))+".mmdb")
			if err := testdb.Write(path, testdb.ASNSchema, testdb.Options{DatabaseType: dbType}); err != nil {
				t.Fatal(err)
			}
			db := openDB(t, city, path)
			if got := db.Locate(de.Addr()).ASN; got != de.ASN || got == 0 {
				t.Errorf("Locate(%s).ASN = %d, want %d", de.Addr(), got, de.ASN)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	city, _, asn := testDBs(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.mmdb")
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("this is not a MaxMind DB file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.mmdb")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.mmdb")
	data, err := os.ReadFile(city)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "anon.mmdb")
	if err := testdb.Write(other, testdb.CitySchema, testdb.Options{DatabaseType: "GeoIP2-Anonymous-IP"}); err != nil {
		t.Fatal(err)
	}
	// A type geoip2-golang does not know, though its records are City records.
	unknown := filepath.Join(dir, "unknown.mmdb")
	if err := testdb.Write(unknown, testdb.CitySchema, testdb.Options{DatabaseType: "Example-City"}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name          string
		path, asnPath string
		want          string
		notExist      bool
		wrongType     bool
	}{
		{"no path", "", "", `geo: open City/Country database: no path given`, false, false},
		{"missing", missing, "",
			`geo: open City/Country database "` + missing + `": open ` + missing + `: no such file or directory`, true, false},
		{"missing ASN", city, missing,
			`geo: open ASN database "` + missing + `": open ` + missing + `: no such file or directory`, true, false},
		{"garbage", garbage, "",
			`geo: open City/Country database "` + garbage + `": error opening database: invalid MaxMind DB file`, false, false},
		{"empty", empty, "",
			`geo: open City/Country database "` + empty + `": file is empty`, false, false},
		{"truncated", truncated, "",
			`geo: open City/Country database "` + truncated + `": error opening database: invalid MaxMind DB file`, false, false},
		{"garbage ASN", city, garbage,
			`geo: open ASN database "` + garbage + `": error opening database: invalid MaxMind DB file`, false, false},
		{"ASN as City", asn, "",
			`geo: open City/Country database "` + asn + `": database type is "GeoLite2-ASN", want a City or Country database (GeoIP2, GeoLite2 or DB-IP)`, false, true},
		{"anonymous IP as City", other, "",
			`geo: open City/Country database "` + other + `": database type is "GeoIP2-Anonymous-IP", want a City or Country database (GeoIP2, GeoLite2 or DB-IP)`, false, true},
		{"unknown type as City", unknown, "",
			`geo: open City/Country database "` + unknown + `": database type is "Example-City", want a City or Country database (GeoIP2, GeoLite2 or DB-IP)`, false, true},
		{"unknown type as ASN", city, unknown,
			`geo: open ASN database "` + unknown + `": database type is "Example-City", want an ASN database (GeoLite2-ASN, DBIP-ASN-Lite or GeoIP2-ISP)`, false, true},
		{"City as ASN", city, city,
			`geo: open ASN database "` + city + `": database type is "GeoLite2-City", want an ASN database (GeoLite2-ASN, DBIP-ASN-Lite or GeoIP2-ISP)`, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(tc.path, tc.asnPath)
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open(%q, %q) succeeded, want error %q", tc.path, tc.asnPath, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Open error\n got %s\nwant %s", err, tc.want)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tc.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", got, tc.notExist)
			}
			var typeErr *DatabaseTypeError
			if got := errors.As(err, &typeErr); got != tc.wrongType {
				t.Errorf("errors.As(err, *DatabaseTypeError) = %v, want %v", got, tc.wrongType)
			}
		})
	}
}

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		return a.Unmap()
	}
	return a
}
