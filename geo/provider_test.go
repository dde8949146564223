package geo

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gtmd/gtmd/geo/testdb"
)

// installFile copies src over dst by writing a temporary file and renaming it,
// as geoipupdate does (an mmap'd file must never be rewritten in place).
func installFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func TestProviderReloadServesNewData(t *testing.T) {
	city, country, asn := testDBs(t)
	live := filepath.Join(t.TempDir(), "live.mmdb")
	installFile(t, city, live)
	p := newTestProvider(t, live, asn, ProviderOptions{})
	us, _ := testdb.ByName("us-ca")

	if got, want := p.Locate(us.Addr()), expectedLocation(t, us, testdb.CitySchema, true); got != want {
		t.Fatalf("before reload\n got %+v\nwant %+v", got, want)
	}
	if got := p.Kind(); got != "GeoLite2-City" {
		t.Errorf("Kind() = %q, want GeoLite2-City", got)
	}

	installFile(t, country, live)
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	// The City answer is cached for this /24; the reload must not serve it.
	if got, want := p.Locate(us.Addr()), expectedLocation(t, us, testdb.CountrySchema, true); got != want {
		t.Errorf("after reload\n got %+v\nwant %+v", got, want)
	}
	if got := p.Kind(); got != "GeoLite2-Country" {
		t.Errorf("Kind() = %q, want GeoLite2-Country", got)
	}
}

func TestProviderReloadFailureKeepsOld(t *testing.T) {
	city, _, asn := testDBs(t)
	dir := t.TempDir()
	live := filepath.Join(dir, "live.mmdb")
	installFile(t, city, live)
	p := newTestProvider(t, live, asn, ProviderOptions{})
	de, _ := testdb.ByName("de")
	want := expectedLocation(t, de, testdb.CitySchema, true)

	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not an mmdb"), 0o644); err != nil {
		t.Fatal(err)
	}
	installFile(t, garbage, live)
	err := p.Reload()
	wantErr := `geo: open City/Country database "` + live + `": error opening database: invalid MaxMind DB file`
	if err == nil || err.Error() != wantErr {
		t.Fatalf("Reload() error\n got %v\nwant %s", err, wantErr)
	}
	if got := p.Locate(de.Addr()); got != want {
		t.Errorf("after failed reload\n got %+v\nwant %+v", got, want)
	}
	if err := os.Remove(live); err != nil {
		t.Fatal(err)
	}
	if err := p.Reload(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Reload() of a removed file: error %v, want not exist", err)
	}
	if got := p.Locate(netip.MustParseAddr("198.18.129.1")); got != want {
		t.Errorf("after failed reload (uncached address)\n got %+v\nwant %+v", got, want)
	}
}

// TestProviderReloadWhileLocating swaps the City and Country databases back
// and forth while goroutines locate; every answer must be one of the two
// databases' answers, and no reader may be closed under a Locate (run with
// -race; a use after munmap would crash).
func TestProviderReloadWhileLocating(t *testing.T) {
	city, country, asn := testDBs(t)
	live := filepath.Join(t.TempDir(), "live.mmdb")
	installFile(t, city, live)
	for _, opts := range []ProviderOptions{{}, {CacheSize: -1}} {
		p := newTestProvider(t, live, asn, opts)
		networks := testdb.Networks()
		type answers struct{ city, country Location }
		want := make([]answers, len(networks))
		for i, n := range networks {
			want[i] = answers{expectedLocation(t, n, testdb.CitySchema, true), expectedLocation(t, n, testdb.CountrySchema, true)}
		}

		var stop atomic.Bool
		var wg sync.WaitGroup
		errs := make(chan string, 8)
		started := make(chan struct{}, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				started <- struct{}{}
				for i := g; !stop.Load(); i++ {
					k := i % len(networks)
					got := p.Locate(networks[k].Addr())
					if got != want[k].city && got != want[k].country {
						errs <- networks[k].Name + ": " + networks[k].Addr().String()
						return
					}
				}
			}()
		}
		for range 8 {
			<-started
		}
		for i := range 40 {
			src := country
			if i%2 == 1 {
				src = city
			}
			installFile(t, src, live)
			if err := p.Reload(); err != nil {
				t.Error(err)
			}
		}
		stop.Store(true)
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("cache %d: Locate gave neither the City nor the Country answer for %s", opts.CacheSize, e)
		}
		installFile(t, city, live)
	}
}

func TestProviderClose(t *testing.T) {
	city, _, _ := testDBs(t)
	p, err := NewProvider(city, "", ProviderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	us, _ := testdb.ByName("us-ny")
	if !p.Locate(us.Addr()).Known() {
		t.Fatal("known address unknown before Close")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := p.Locate(us.Addr()); got != (Location{}) {
		t.Errorf("Locate after Close = %+v, want zero", got)
	}
	if got := p.Kind(); got != "" {
		t.Errorf("Kind after Close = %q, want empty", got)
	}
	if err := p.Reload(); !errors.Is(err, ErrClosed) {
		t.Errorf("Reload after Close: %v, want ErrClosed", err)
	}
}

func TestNewProviderErrors(t *testing.T) {
	_, _, asn := testDBs(t)
	_, err := NewProvider(asn, "", ProviderOptions{})
	var typeErr *DatabaseTypeError
	if !errors.As(err, &typeErr) || typeErr.Got != "GeoLite2-ASN" {
		t.Errorf("NewProvider(asn) error = %v, want a DatabaseTypeError for GeoLite2-ASN", err)
	}
}

// TestProviderKeepsReplacedDatabaseOpenWhileInUse holds a reference the way an
// in-flight Locate does and checks that Reload does not close the replaced
// databases under it, and that dropping the last reference does.
func TestProviderKeepsReplacedDatabaseOpenWhileInUse(t *testing.T) {
	city, _, _ := testDBs(t)
	p := newTestProvider(t, city, "", ProviderOptions{})
	old := p.cur.Load()
	if !old.acquire() {
		t.Fatal("acquire on the current handle failed")
	}
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	if p.cur.Load() == old {
		t.Fatal("Reload did not swap")
	}
	us, _ := testdb.ByName("us-va")
	if !old.db.Locate(us.Addr()).Known() {
		t.Fatal("replaced database closed while a reference was held")
	}
	if old.acquire() != true {
		t.Fatal("acquire on a replaced but referenced handle failed")
	}
	_ = old.release()
	if err := old.release(); err != nil { // the last reference: closes
		t.Fatal(err)
	}
	if old.acquire() {
		t.Fatal("acquire succeeded on a drained handle")
	}
	if got := old.db.Locate(us.Addr()); got.Known() {
		t.Errorf("drained database still answers %+v", got)
	}
	if got := p.Locate(us.Addr()); !got.Known() {
		t.Errorf("current database unknown for %s", us.Addr())
	}
}
