package geo

import (
	"path/filepath"
	"testing"

	"github.com/gtmd/gtmd/geo/testdb"
)

// testDBs writes fresh test databases into a temporary directory and returns
// the paths of the City, Country and ASN databases.
func testDBs(tb testing.TB) (city, country, asn string) {
	tb.Helper()
	dir := tb.TempDir()
	if err := testdb.WriteAll(dir); err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(dir, testdb.CityFile), filepath.Join(dir, testdb.CountryFile), filepath.Join(dir, testdb.ASNFile)
}

// openDB opens path and asnPath, closing them when the test ends.
func openDB(tb testing.TB, path, asnPath string) *Database {
	tb.Helper()
	db, err := Open(path, asnPath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// expectedLocation is what Locate should say about n.Addr() given the schema of
// the location database and whether the ASN database is open: the record as
// testdb wrote it, with the country table filling what the record lacks.
func expectedLocation(tb testing.TB, n testdb.Network, schema testdb.Schema, withASN bool) Location {
	tb.Helper()
	want := Location{Country: n.Country, Continent: n.Continent, Network: n.Prefix}
	if schema == testdb.CitySchema {
		want.Subdivision = n.Subdivision
		if n.HasCoords {
			want.Lat, want.Lon, want.HasCoords = n.Lat, n.Lon, true
		}
	}
	if n.Country != "" && !want.HasCoords {
		_, lat, lon, ok := CountryFacts(n.Country)
		if !ok {
			tb.Fatalf("no country facts for %s", n.Country)
		}
		want.Lat, want.Lon, want.HasCoords = lat, lon, true
	}
	if withASN {
		want.ASN = n.ASN
	}
	return want
}
