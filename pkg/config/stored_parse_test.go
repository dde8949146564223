package config_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/pkg/config"
)

// storedForms returns the stored form of every full traffic document the
// repository holds: the fixtures, the examples and a large generated one.
func storedForms(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, path := range []string{
		"testdata/traffic_full.yaml",
		"testdata/traffic_full.json",
		"testdata/traffic_zonefile.yaml",
		"../../examples/quickstart/traffic.yaml",
		"../../examples/two-regions/traffic.yaml",
	} {
		doc, err := config.LoadTraffic(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := config.EncodeStored(doc)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path)] = b
	}
	under, _, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	out["generated, just under the ceiling"] = under.Stored
	return out
}

// TestParseStoredMatchesParseTraffic proves the JSON path reads every
// stored form exactly as the reference, ParseTraffic, does.
func TestParseStoredMatchesParseTraffic(t *testing.T) {
	for name, b := range storedForms(t) {
		t.Run(name, func(t *testing.T) {
			want, err := config.ParseTraffic("stored", b, "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := config.ParseStored("stored", b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseStored and ParseTraffic read the stored form differently:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestParseStoredRefusesAsParseTraffic checks that a stored form the
// reference refuses is refused with the reference's faults, and that the
// JSON path does not let through what encoding/json alone would accept.
func TestParseStoredRefusesAsParseTraffic(t *testing.T) {
	const zone = `{"zones":[{"name":"example.com.","soa":{"mname":"ns1.example.com.","rname":"h.example.com."},"ns":["ns1.example.com."]}]`
	for _, tc := range []struct {
		name, src, fault string
	}{
		{"an unknown field", zone + `,"servcies":[]}`, "servcies"},
		{"a second value after the document", zone + `} {"zones":[]}`, ""},
		{"a syntax error", zone + `,}`, ""},
		{"a field of the wrong type", `{"zones":"example.com."}`, "zones"},
		{"an invalid document", `{"zones":[{"name":"example.com."}]}`, "zones[0]"},
		{"a zone file to merge", `{"zones":[{"name":"example.com.","zone_file":"example.com.zone"}]}`, "zone_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, want := config.ParseTraffic("k", []byte(tc.src), "")
			if want == nil {
				t.Fatal("the reference accepts the document; the case tests nothing")
			}
			doc, err := config.ParseStored("k", []byte(tc.src))
			if err == nil {
				t.Fatalf("ParseStored accepted it: %+v", doc)
			}
			if err.Error() != want.Error() {
				t.Errorf("error\n got: %v\nwant: %v", err, want)
			}
			if !strings.Contains(err.Error(), tc.fault) {
				t.Errorf("error %q does not name %q", err, tc.fault)
			}
		})
	}
}
