package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestZoneFileMerged(t *testing.T) {
	tr, err := LoadTraffic("testdata/traffic_zonefile.yaml")
	if err != nil {
		t.Fatalf("LoadTraffic: %v", err)
	}
	z := tr.Zones[0]
	if z.ZoneFile != "" {
		t.Errorf("zone_file = %q after the merge, want it cleared so the stored document stands alone", z.ZoneFile)
	}
	// The document's own records come first, then the file's RRsets in the
	// order each first appears, with the file's SOA and apex NS left out.
	want := []Record{
		{Name: "example.org.", Type: "TXT", Data: []string{`"from the document"`}},
		{Name: "ns1.example.org.", Type: "A", TTL: new(uint32(600)), Data: []string{"192.0.2.1"}},
		{Name: "www.example.org.", Type: "A", TTL: new(uint32(300)), Data: []string{"192.0.2.10", "192.0.2.11"}},
		{Name: "www.example.org.", Type: "AAAA", TTL: new(uint32(600)), Data: []string{"2001:db8::10"}},
		{Name: "example.org.", Type: "MX", TTL: new(uint32(600)), Data: []string{"10 mail.example.org.", "20 mail.example.net."}},
		{Name: "mail.example.org.", Type: "A", TTL: new(uint32(600)), Data: []string{"192.0.2.25"}},
		{Name: "ftp.example.org.", Type: "CNAME", TTL: new(uint32(600)), Data: []string{"www.example.org."}},
		{Name: "host.sub.example.org.", Type: "TXT", TTL: new(uint32(600)), Data: []string{`"hello world"`}},
	}
	if !reflect.DeepEqual(z.Records, want) {
		diffJSON(t, z.Records, want)
	}
	if want := []string{"ns1.example.org.", "ns2.example.net."}; !reflect.DeepEqual(z.NS, want) {
		t.Errorf("ns = %v, want %v", z.NS, want)
	}
}

// TestZoneFileDefaultTTL checks that records without a TTL and without
// $TTL take the zone's ttl.
func TestZoneFileDefaultTTL(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "z.zone"), []byte("www IN A 192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := `zones:
  - name: example.org.
    ttl: 120
    soa: {mname: ns1.example.net., rname: h.example.org.}
    ns: [ns1.example.net.]
    zone_file: z.zone
`
	tr, err := ParseTraffic("t.yaml", []byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{Name: "www.example.org.", Type: "A", TTL: new(uint32(120)), Data: []string{"192.0.2.1"}}}
	if !reflect.DeepEqual(tr.Zones[0].Records, want) {
		diffJSON(t, tr.Zones[0].Records, want)
	}
}

func TestZoneFileFaults(t *testing.T) {
	abs, err := filepath.Abs("testdata/zones/example.org.zone")
	if err != nil {
		t.Fatal(err)
	}
	zone := func(file string) string {
		return `zones:
  - name: example.org.
    soa: {mname: ns1.example.org., rname: hostmaster.example.org.}
    ns: [ns1.example.org.]
    zone_file: "` + file + `"
`
	}
	for _, tc := range []struct {
		name, doc, baseDir, want string
	}{
		{"syntax error names the zone file and its line", zone("zones/bad.zone"), "testdata",
			`t.yaml:5:16: zones[0].zone_file: testdata/zones/bad.zone:4:16: bad A A: "192.0.2"`},
		{"missing zone file", zone("zones/missing.zone"), "testdata",
			`t.yaml:5:16: zones[0].zone_file: reading zone file: open testdata/zones/missing.zone: no such file or directory`},
		{"record outside the zone", zone("zones/outside.zone"), "testdata",
			`t.yaml:5:16: zones[0].zone_file: testdata/zones/outside.zone:3: www.example.net. is outside zone example.org.`},
		{"a class other than IN", zone("zones/chaos.zone"), "testdata",
			`t.yaml:5:16: zones[0].zone_file: testdata/zones/chaos.zone:3: www.example.org.: class CH: only IN records are served`},
		{"a type a document cannot name, at its line", zone("zones/unknowntype.zone"), "testdata",
			`t.yaml:5:16: zones[0].zone_file: testdata/zones/unknowntype.zone:2: www.example.org.: TYPE65280 is not a record type gtmd can serve`},
		{"relative path without a base directory", zone("zones/example.org.zone"), "",
			`t.yaml:5:16: zones[0].zone_file: relative path "zones/example.org.zone" cannot be resolved here; apply the document from a file or give an absolute path`},
		{"absolute path without a base directory", zone(abs), "", ""},
		{"zone file records are validated with the rest", zone("zones/example.org.zone") + "    records:\n      - {name: www, type: A, data: [192.0.2.99]}\n", "testdata",
			// The zone file's records have no place in the document; the
			// fault points at the records list.
			`t.yaml:7:7: zones[0].records[2]: www.example.org. A is already defined at records[0]; list every value in one data list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTraffic("t.yaml", []byte(tc.doc), tc.baseDir)
			if got := errText(err); got != tc.want {
				t.Errorf("faults differ\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}
