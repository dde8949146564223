package node

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// TestKeptCopy: what a restart needs is written and read back whole,
// drains, pushed statuses and DNSSEC key sets included, and a copy written before those
// were kept still reads.
func TestKeptCopy(t *testing.T) {
	doc, err := config.ParseTraffic("t.yaml", []byte(clusterTraffic("127.0.0.1:1")), "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	k := kept{
		Revision:  42,
		Traffic:   doc,
		Overrides: map[health.EndpointKey]health.Override{{Service: "www.gtm.test.", Endpoint: "us-east"}: {State: health.OverrideDown, Reason: "maintenance", At: at}},
		External:  map[string]health.External{"push": {Healthy: true, Expires: at.Add(time.Minute), At: at}},
		KeySets:   map[string]cluster.StoredKeySet{"gtm.test.": {Zone: "gtm.test.", Value: []byte(`{"version":1}`), Revision: 9}},
	}
	dir := t.TempDir()
	if err := saveKept(dir, k); err != nil {
		t.Fatal(err)
	}
	back, err := loadKept(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Revision != 42 || !reflect.DeepEqual(back.Overrides, k.Overrides) || !reflect.DeepEqual(back.External, k.External) || !reflect.DeepEqual(back.KeySets, k.KeySets) || len(back.Traffic.Services) != 1 {
		t.Errorf("read back %+v, want %+v", back, k)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the data directory holds %d files, want the copy alone (no temporary file left)", len(entries))
	}

	// A copy an earlier build wrote, under its name then, with the
	// records in the document and no overrides, is read; once a copy is
	// written, it is gone.
	old := `{"revision": 7, "traffic": {"zones": [{"name": "gtm.test.", "soa": {"mname": "ns1.gtm.test.", "rname": "h.gtm.test."}, "ns": ["ns1.gtm.test."], "records": [{"name": "ns1", "type": "A", "data": ["192.0.2.53"]}]}]}}`
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, legacyCacheFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	back, err = loadKept(dir)
	if err != nil || back.Revision != 7 || len(back.Overrides) != 0 || len(back.Traffic.Zones[0].Records) != 1 {
		t.Errorf("a copy of an earlier build: %+v, %v", back, err)
	}
	if err := saveKept(dir, k); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, legacyCacheFile)); !os.IsNotExist(err) {
		t.Errorf("the earlier build's copy is still there (%v): a downgrade would serve it, stale", err)
	}
	if back, err = loadKept(dir); err != nil || back.Revision != 42 {
		t.Errorf("after a copy is written: %+v, %v", back, err)
	}
	// Downgraded, the earlier build wrote its copy again: upgraded
	// again, the node reads whichever is later.
	for _, c := range []struct {
		legacy string
		want   int64
	}{{strings.Replace(old, `"revision": 7`, `"revision": 50`, 1), 50}, {old, 42}} {
		if err := os.WriteFile(filepath.Join(dir, legacyCacheFile), []byte(c.legacy), 0o600); err != nil {
			t.Fatal(err)
		}
		if back, err = loadKept(dir); err != nil || back.Revision != c.want {
			t.Errorf("both copies there: read revision %d (%v), want %d", back.Revision, err, c.want)
		}
	}
	if _, err := loadKept(t.TempDir()); !os.IsNotExist(err) {
		t.Errorf("no copy: %v, want a not-exist error", err)
	}
}

// gtmDocument parses a document whose first zone is gtm.test. (its SOA and
// one in-zone name server) followed by tail: more of that zone, or more
// zones.
func gtmDocument(t *testing.T, tail string) *config.Traffic {
	t.Helper()
	doc, err := config.ParseTraffic("t.yaml", []byte(`zones:
  - name: gtm.test.
    soa: {mname: ns1.gtm.test., rname: hostmaster.gtm.test.}
    ns: [ns1.gtm.test.]
`+tail), "")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestKeptCopyRecords: the zones' records, written apart from the
// document, read back as they were, quotes, backslashes, control and
// non-ASCII bytes in their data included.
func TestKeptCopyRecords(t *testing.T) {
	doc := gtmDocument(t, `    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
      - {name: txt, type: TXT, ttl: 60, data: ['"a \"quoted\" \\ back" "tab\tand é"', '"\\010"']}
      - {name: mail, type: MX, data: ["10 ns1"]}
  - name: other.test.
    soa: {mname: ns1.other.test., rname: hostmaster.other.test.}
    ns: [ns1.gtm.test.]
`)
	dir := t.TempDir()
	if err := saveKept(dir, kept{Revision: 3, Traffic: doc}); err != nil {
		t.Fatal(err)
	}
	back, err := loadKept(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range doc.Zones {
		if !reflect.DeepEqual(back.Traffic.Zones[i].Records, doc.Zones[i].Records) {
			t.Errorf("zone %s: read back %+v, want %+v", doc.Zones[i].Name, back.Traffic.Zones[i].Records, doc.Zones[i].Records)
		}
	}
}

// TestRecordJSON: a record written for the copy is what encoding/json
// writes for it.
func TestRecordJSON(t *testing.T) {
	for _, r := range recordSamples() {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got := appendRRsetJSON(nil, r.Name, r.Type, r.TTL, r.Data)
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Errorf("%+v: %s does not decode: %v", r, got, err)
			continue
		}
		json.Unmarshal(want, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%+v: wrote %s, encoding/json writes %s", r, got, want)
		}
	}
}

// TestKeptCopyStoredRecords: a zone's stored records are kept apart from
// its document's, and read back as stored records (not validated as a
// document's), except the addresses of its name servers, which the
// document needs to pass validation alone; the snapshot built from the
// copy answers for both. A copy from before the split reads every record
// as the document's.
func TestKeptCopyStoredRecords(t *testing.T) {
	doc := gtmDocument(t, `    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
      - {name: inline, type: TXT, data: ['"kept inline"']}
`)
	served := *doc
	served.Zones = slices.Clone(doc.Zones)
	served.Zones[0].Records = served.Zones[0].Records[1:]
	sets := map[string]cluster.RRset{}
	add := func(r cluster.RRset) { sets[r.Key()] = r }
	add(cluster.RRset{Name: "ns1.gtm.test.", Type: "A", TTL: 300, Data: []string{"192.0.2.53"}, Source: cluster.SourceDocument})
	add(cluster.RRset{Name: "ns1.gtm.test.", Type: "AAAA", TTL: 300, Data: []string{"2001:db8::53"}, Source: cluster.SourceDocument})
	for i := range 1000 {
		add(cluster.RRset{Name: fmt.Sprintf("h%d.gtm.test.", i), Type: "A", TTL: 60, Data: []string{fmt.Sprintf("10.0.%d.%d", i/256, i%256)}, Source: cluster.SourceData})
	}
	k := kept{Revision: 9, Traffic: &served, Stored: map[string]*cluster.ZoneRecords{"gtm.test.": cluster.NewZoneRecords(sets)}}
	dir := t.TempDir()
	if err := saveKept(dir, k); err != nil {
		t.Fatal(err)
	}
	back, err := loadKept(dir)
	if err != nil {
		t.Fatal(err)
	}
	var inline []string
	for _, r := range back.Traffic.Zones[0].Records {
		inline = append(inline, r.Name+" "+r.Type)
	}
	slices.Sort(inline)
	if want := []string{"inline.gtm.test. TXT", "ns1.gtm.test. A", "ns1.gtm.test. AAAA"}; !slices.Equal(inline, want) {
		t.Errorf("the document's records read back: %v, want %v", inline, want)
	}
	if got := back.Stored["gtm.test."].Len(); got != 1000 {
		t.Errorf("%d stored RRsets read back, want 1000", got)
	}
	if r, ok := back.Stored["gtm.test."].Lookup("h999.gtm.test. A"); !ok || r.TTL != 60 || r.Data[0] != "10.0.3.231" {
		t.Errorf("h999 read back as %+v", r)
	}
	snap, err := resolver.BuildStored(back.Traffic, uint32(back.Revision), back.Serials, storedOf(back.Stored))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		name string
		typ  uint16
	}{{"h5.gtm.test.", dns.TypeA}, {"ns1.gtm.test.", dns.TypeAAAA}, {"inline.gtm.test.", dns.TypeTXT}} {
		if ans := answerOf(t, snap, q.name, q.typ); len(ans) != 1 {
			t.Errorf("%s %s: %v", q.name, dns.TypeToString[q.typ], ans)
		}
	}

	// Written before the split: no "document", every record read as the
	// document's.
	path := filepath.Join(dir, cacheFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := regexp.MustCompile(`"document":[0-9]+,`).ReplaceAll(b, nil)
	if len(old) == len(b) {
		t.Fatal("the copy says nothing of its document's records")
	}
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err = loadKept(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Stored != nil || len(back.Traffic.Zones[0].Records) != 1003 {
		t.Errorf("a copy from before the split: %d stored zones, %d records in the document; want none and 1003", len(back.Stored), len(back.Traffic.Zones[0].Records))
	}
}

// answerOf is snap's answer to name and type from a client at 192.0.2.1.
func answerOf(t *testing.T, snap *resolver.Snapshot, name string, typ uint16) []dns.RR {
	t.Helper()
	h := resolver.NewHandler(resolver.Options{})
	h.Swap(snap)
	resp := h.Resolve(new(dns.Msg).SetQuestion(name, typ), netip.MustParseAddr("192.0.2.1"), false)
	if resp == nil {
		t.Fatalf("%s: no response", name)
	}
	return resp.Answer
}

// TestKeptCopyStoredRecordsRead: copies whose document does not pass
// validation with its own records alone, and damaged ones.
func TestKeptCopyStoredRecordsRead(t *testing.T) {
	rrset := func(name, typ string, data ...string) cluster.RRset {
		return cluster.RRset{Name: name, Type: typ, TTL: 300, Data: data, Source: cluster.SourceData}
	}
	stored := func(sets ...cluster.RRset) map[string]*cluster.ZoneRecords {
		m := map[string]cluster.RRset{}
		for _, r := range sets {
			m[r.Key()] = r
		}
		return map[string]*cluster.ZoneRecords{"gtm.test.": cluster.NewZoneRecords(m)}
	}
	// A delegation the document holds inline, its glue in the store.
	delegation := gtmDocument(t, `    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
      - {name: sub, type: NS, data: ["ns.sub.gtm.test."]}
      - {name: ns.sub, type: A, data: ["192.0.2.54"]}
`)
	delegation.Zones[0].Records = delegation.Zones[0].Records[:2]
	// A secondary zone: its records, name servers' addresses included,
	// are the primary's.
	secondary := gtmDocument(t, `    primary: {servers: ["127.0.0.1:5353"]}
`)
	for _, c := range []struct {
		name    string
		k       kept
		records int
		fails   string
	}{
		{"delegation glue stored", kept{Revision: 5, Traffic: delegation, Stored: stored(rrset("ns.sub.gtm.test.", "A", "192.0.2.55"), rrset("h.gtm.test.", "A", "192.0.2.1"))}, 4, ""},
		{"secondary zone", kept{Revision: 5, Traffic: secondary, Stored: stored(rrset("ns1.gtm.test.", "A", "192.0.2.53"), rrset("h.gtm.test.", "A", "192.0.2.1"))}, 2, ""},
		{"stored record outside the zone", kept{Revision: 5, Traffic: secondary, Stored: stored(rrset("ns1.other.test.", "A", "192.0.2.53"))}, 0, "outside the zone"},
	} {
		dir := t.TempDir()
		if err := saveKept(dir, c.k); err != nil {
			t.Fatal(err)
		}
		back, err := loadKept(dir)
		if c.fails != "" {
			if err == nil || !strings.Contains(err.Error(), c.fails) {
				t.Errorf("%s: read with %v, want an error saying %q", c.name, err, c.fails)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		n := len(back.Traffic.Zones[0].Records) + back.Stored["gtm.test."].Len()
		if n != c.records {
			t.Errorf("%s: %d records read back, want %d", c.name, n, c.records)
		}
		if _, err := resolver.BuildStored(back.Traffic, uint32(back.Revision), back.Serials, storedOf(back.Stored)); err != nil {
			t.Errorf("%s: the copy read back does not build: %v", c.name, err)
		}
	}
}

// TestKeptZoneReadTwice: a zone's records written twice in one copy read
// as encoding/json reads them.
func TestKeptZoneReadTwice(t *testing.T) {
	src := []byte(`{"zone":"a.","records":[{"name":"x","type":"A","ttl":5,"data":["192.0.2.1"]}],"records":[{"name":"y","data":["192.0.2.2"]}]}`)
	var got keptZone
	var want struct {
		Records []config.Record `json:"records"`
	}
	if err := json.Unmarshal(src, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(src, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual([]config.Record(got.Records), want.Records) {
		t.Errorf("read %+v, encoding/json reads %+v", got.Records, want.Records)
	}
}
