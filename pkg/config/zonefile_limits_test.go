package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestZoneFileGenerateBounded checks that $GENERATE lines cannot make a
// zone file stand for more records than a document can hold: the file is
// refused at the line that went past, having allocated a bounded amount
// of memory, where each file below stands for millions of records.
func TestZoneFileGenerateBounded(t *testing.T) {
	// Each case's $GENERATE line repeats 200 times: 13 million records.
	const repeat = 200
	const maxAlloc = 128 << 20
	dir := t.TempDir()
	for _, tc := range []struct {
		name, head, generate, want string
	}{
		{"a range of ten million", "", "$GENERATE 1-10000000 h$ A 192.0.2.1",
			"z.zone:1:21: bad range in $GENERATE range: \"1-10000000\""},
		{"an owner each, over the stored size", "www A 192.0.2.10\n", "$GENERATE 0-65535 h$ A 192.0.2.1",
			"z.zone:2: the zone file's records ($GENERATE included) take more than 1500000 bytes as stored, the limit of a traffic document: the cluster store (etcd) refuses a write over 1.5 MiB"},
		{"one RRset, over the count", "www A 192.0.2.10\n", "$GENERATE 0-65535 www TXT $",
			"z.zone:3: the zone file makes more than 100000 records ($GENERATE included), more than a traffic document can hold"},
		{"apex NS records left out, still counted", "", "$GENERATE 0-65535 @ NS ns$.example.org.",
			"z.zone:2: the zone file makes more than 100000 records ($GENERATE included), more than a traffic document can hold"},
		// Written out, each record takes 71 bytes stored at least (42, an
		// owner of 19, the type and the address): the 21,127th is over.
		{"written out, over the stored size", plainRecords(30_000), "",
			"z.zone:21127: the zone file's records ($GENERATE included) take more than 1500000 bytes as stored, the limit of a traffic document: the cluster store (etcd) refuses a write over 1.5 MiB"},
		{"ten thousand records fit", "", "$GENERATE 0-9999 h$ A 192.0.2.1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.head + strings.Repeat(tc.generate+"\n", repeat)
			if tc.want == "" {
				body = tc.head + tc.generate + "\n"
			}
			sub := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sub, "z.zone"), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			doc := "zones:\n  - name: example.org.\n    soa: {mname: ns1.example.org., rname: hostmaster.example.org.}\n    ns: [ns1.example.org.]\n    zone_file: z.zone\n    records: [{name: ns1, type: A, data: [192.0.2.53]}]\n"

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			tr, err := ParseTraffic("t.yaml", []byte(doc), sub)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes allocated", allocated)

			if tc.want == "" {
				if err != nil || len(tr.Zones[0].Records) != 1+10_000 {
					t.Fatalf("ParseTraffic: %v", err)
				}
				return
			}
			want := "t.yaml:5:16: zones[0].zone_file: " + filepath.Join(sub, tc.want)
			if got := errText(err); got != want {
				t.Errorf("faults differ\n got: %s\nwant: %s", got, want)
			}
			if allocated > maxAlloc {
				t.Errorf("%d bytes allocated to refuse the zone file, over %d", allocated, maxAlloc)
			}
		})
	}
}

// plainRecords is n A records written out one a line, each with an owner
// of its own as long as the others'.
func plainRecords(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "h%05d A 192.0.2.1\n", i)
	}
	return b.String()
}

// TestZoneFileBudgetIsALowerBound checks that what the budget counts for a
// zone file's records is never more than their stored form takes, so no
// zone file whose records could be stored is refused.
func TestZoneFileBudgetIsALowerBound(t *testing.T) {
	dir := t.TempDir()
	zone := "$TTL 0\n" + plainRecords(100) + "$GENERATE 0-999 www TXT $\nmail MX 0 .\n@ MX 10 mail\nq\\034x TXT \"a \\\"b\\\"\"\n"
	if err := os.WriteFile(filepath.Join(dir, "z.zone"), []byte(zone), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, baseDir string }{
		{"testdata/traffic_zonefile.yaml", ""},
		{filepath.Join(dir, "t.yaml"), dir},
	} {
		if tc.baseDir != "" {
			doc := "zones:\n  - name: example.org.\n    soa: {mname: ns1.example.org., rname: hostmaster.example.org.}\n    ns: [ns1.example.org.]\n    zone_file: z.zone\n    records: [{name: ns1, type: A, data: [192.0.2.53]}]\n"
			if err := os.WriteFile(tc.file, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := LoadTraffic(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var fromFile []Record
		var b zoneFileBudget
		for _, r := range tr.Zones[0].Records {
			if r.TTL == nil {
				continue // the document's own, not the zone file's
			}
			fromFile = append(fromFile, r)
			for i, d := range r.Data {
				b.keep(i == 0, r.Name, r.Type, d)
			}
		}
		stored, err := json.Marshal(fromFile)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: counted %d bytes, stored in %d", tc.file, b.stored, len(stored))
		if len(fromFile) < 3 || b.stored > len(stored) {
			t.Errorf("%s: %d records from the zone file, counted as %d bytes, stored in %d", tc.file, len(fromFile), b.stored, len(stored))
		}
	}
}
