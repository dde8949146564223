package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestZoneFileReadersAgree runs each zone file through both readers of
// master files: readZoneFile, which merges a document's zone_file, and
// StreamZone, which reads what the zones API is sent. They must keep the
// same records and report the same fault with the same file:line place,
// also deep in a large file; the document's reader only adds its budget.
func TestZoneFileReadersAgree(t *testing.T) {
	dir := t.TempDir()
	// good is n records that the budget keeps (21,126 of them fit).
	good := func(n int) string { return "$TTL 300\n" + plainRecords(n) }
	for _, tc := range []struct {
		name, body string
		// records is how many records both keep (the SOA and apex NS
		// left out); want is the fault, with "z.zone" for the path.
		records int
		want    string
		// budget is set where only the document's reader refuses: its
		// records could not be stored in a document.
		budget bool
	}{
		{name: "empty"},
		{name: "SOA and apex NS left out, RRsets grouped",
			body:    "$ORIGIN example.org.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\nwww A 192.0.2.11\nWWW.example.org. AAAA 2001:db8::1\nsub NS ns.sub\nns.sub A 192.0.2.53\n@ MX 10 mail\n",
			records: 7},
		{name: "large and good", body: good(20_000), records: 20_000},
		{name: "syntax error at the top", body: "www A 192.0.2.1\nbad A 192.0.2\n",
			want: `z.zone:2:13: bad A A: "192.0.2"`},
		{name: "syntax error deep in a large file", body: good(20_000) + "h A 192.0.2.1\nbad IN AAAA 2001:db8::zz\n",
			want: `z.zone:20003:24: bad AAAA AAAA: "2001:db8::zz"`},
		{name: "unknown type deep in a large file", body: good(15_000) + "x IN BOGUS 1\n",
			want: `z.zone:15002:11: not a TTL: "BOGUS"`},
		{name: "record outside the zone deep in a large file", body: good(18_000) + "www.example.net. A 192.0.2.1\n",
			want: "z.zone:18002: www.example.net. is outside zone example.org."},
		{name: "$INCLUDE refused", body: good(10) + "$INCLUDE /etc/passwd\n",
			want: `z.zone:12:20: $INCLUDE directive not allowed: "/etc/passwd"`},
		{name: "bad $TTL", body: "$TTL forever\nwww A 192.0.2.1\n",
			want: `z.zone:1:12: expecting $TTL value, not this...: "forever"`},
		{name: "bad $GENERATE range", body: "$GENERATE 9-1 h$ A 192.0.2.1\n",
			want: `z.zone:1:14: bad range in $GENERATE range: "9-1"`},
		{name: "over the stored size", body: good(25_000), records: 25_000, budget: true,
			want: "z.zone:21128: the zone file's records ($GENERATE included) take more than 1500000 bytes as stored, the limit of a traffic document: the cluster store (etcd) refuses a write over 1.5 MiB"},
		{name: "apex NS made, left out, still counted", body: "$GENERATE 0-65535 @ NS ns$.example.org.\n$GENERATE 0-65535 @ NS ns$.example.org.\n", budget: true,
			want: "z.zone:2: the zone file makes more than 100000 records ($GENERATE included), more than a traffic document can hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".zone")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(tc.want, "z.zone", path, 1)

			recs, docErr := readZoneFile(path, "example.org.", 600)
			var merged []string
			for _, r := range recs {
				for _, d := range r.Data {
					merged = append(merged, fmt.Sprintf("%s %d %s %s", strings.ToLower(r.Name), *r.TTL, r.Type, d))
				}
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var streamed []string
			apiErr := StreamZone(f, path, "example.org", 600, func(rr dns.RR, _ int) error {
				h := rr.Header()
				streamed = append(streamed, fmt.Sprintf("%s %d %s %s", strings.ToLower(h.Name), h.Ttl, dns.TypeToString[h.Rrtype], RData(rr)))
				return nil
			})

			if got := errText(docErr); got != want {
				t.Errorf("readZoneFile's fault differs\n got: %s\nwant: %s", got, want)
			}
			if tc.budget {
				if apiErr != nil {
					t.Errorf("StreamZone: %v, want no fault: its files have no document's budget", apiErr)
				}
				if len(streamed) != tc.records {
					t.Errorf("StreamZone kept %d records, want %d", len(streamed), tc.records)
				}
				return
			}
			if got := errText(apiErr); got != want {
				t.Errorf("StreamZone's fault differs from readZoneFile's\n got: %s\nwant: %s", got, want)
			}
			if want != "" {
				return
			}
			// The same records.
			slices.Sort(merged)
			slices.Sort(streamed)
			if len(merged) != tc.records || !slices.Equal(merged, streamed) {
				t.Errorf("records differ: readZoneFile kept %d, StreamZone %d, want %d\n merged: %.400v\nstreamed: %.400v", len(merged), len(streamed), tc.records, merged, streamed)
			}
		})
	}
}
