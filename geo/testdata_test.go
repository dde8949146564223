package geo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gtmd/gtmd/geo/testdb"
)

// TestCommittedTestdataIsCurrent checks that the databases committed in
// testdata are byte for byte what the generator writes today, so they never
// drift from testdb.Networks. Rebuild them with `go generate ./geo`.
func TestCommittedTestdataIsCurrent(t *testing.T) {
	fresh := t.TempDir()
	if err := testdb.WriteAll(fresh); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{testdb.CityFile, testdb.CountryFile, testdb.ASNFile} {
		committed, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Errorf("%v (rebuild with `go generate ./geo`)", err)
			continue
		}
		want, err := os.ReadFile(filepath.Join(fresh, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, want) {
			t.Errorf("testdata/%s differs from what testdb writes: rebuild with `go generate ./geo`", name)
		}
	}
	db := openDB(t, filepath.Join("testdata", testdb.CityFile), filepath.Join("testdata", testdb.ASNFile))
	n, _ := testdb.ByName("us-va")
	if got, want := db.Locate(n.Addr()), expectedLocation(t, n, testdb.CitySchema, true); got != want {
		t.Errorf("testdata city.mmdb: Locate(%s)\n got %+v\nwant %+v", n.Addr(), got, want)
	}
}
