package cluster

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// servedLines returns the stored records of the state's example.com. as
// "owner TYPE source data|data" lines, sorted.
func servedLines(st *State) []string {
	var out []string
	for _, r := range st.Zones["example.com."].Sorted() {
		out = append(out, r.Key()+" "+r.Source+" "+strings.Join(r.Data, "|"))
	}
	return out
}

func withRecords(recs ...config.Record) func(*config.Traffic) {
	return func(t *config.Traffic) { t.Zones[0].Records = append(t.Zones[0].Records, recs...) }
}

func rec(name, typ string, data ...string) config.Record {
	return config.Record{Name: name, Type: typ, Data: data}
}

// TestZoneRecordsDocumentAndData applies documents and data changes in
// turn and checks, after each, the RRsets a second node's watch holds:
// the document's records are replaced on apply, the zone's data kept
// unless the document states the same name and type.
func TestZoneRecordsDocumentAndData(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a := openNode(t, eps, "a")
	b := openNode(t, eps, "b")
	ctx := ctxT(t)

	steps := []struct {
		name  string
		apply func() (int64, error)
		want  []string
	}{
		{"document with two records", func() (int64, error) {
			return a.ApplyTraffic(ctx, loadTraffic(t, withRecords(rec("mail", "A", "192.0.2.25"), rec("@", "TXT", `"v=spf1 -all"`))), AnyRevision)
		}, []string{
			"example.com. TXT document \"v=spf1 -all\"",
			"mail.example.com. A document 192.0.2.25",
			"ns1.example.com. A document 192.0.2.53",
		}},
		{"data added", func() (int64, error) {
			return a.UpdateZone(ctx, "example.com.", a.State().Zones["example.com."], []RRset{
				{Name: "_acme-challenge.example.com.", Type: "TXT", TTL: 60, Data: []string{`"token"`}, Source: SourceData},
				{Name: "mail.example.com.", Type: "A", TTL: 60, Data: []string{"192.0.2.26"}, Source: SourceData},
			}, nil)
		}, []string{
			"_acme-challenge.example.com. TXT data \"token\"",
			"example.com. TXT document \"v=spf1 -all\"",
			"mail.example.com. A data 192.0.2.26",
			"ns1.example.com. A document 192.0.2.53",
		}},
		{"document without the TXT, with mail again", func() (int64, error) {
			return a.ApplyTraffic(ctx, loadTraffic(t, withRecords(rec("mail", "A", "192.0.2.25"))), AnyRevision)
		}, []string{
			"_acme-challenge.example.com. TXT data \"token\"",
			"mail.example.com. A document 192.0.2.25",
			"ns1.example.com. A document 192.0.2.53",
		}},
		{"data deleted", func() (int64, error) {
			return a.UpdateZone(ctx, "example.com.", a.State().Zones["example.com."], nil, []string{"_acme-challenge.example.com. TXT"})
		}, []string{
			"mail.example.com. A document 192.0.2.25",
			"ns1.example.com. A document 192.0.2.53",
		}},
	}
	var last int64
	for _, step := range steps {
		rev, err := step.apply()
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if rev <= last {
			t.Errorf("%s: revision %d, not after %d", step.name, rev, last)
		}
		last = rev
		st := b.states.wait(t, 5*time.Second, step.name, func(s *State) bool { return s.ServedRevision() >= rev })
		if got := servedLines(st); !slices.Equal(got, step.want) {
			t.Errorf("%s: b holds\n%s\nwant\n%s", step.name, strings.Join(got, "\n"), strings.Join(step.want, "\n"))
		}
		if st.ServedRevision() != rev {
			t.Errorf("%s: served revision %d, want the change's %d", step.name, st.ServedRevision(), rev)
		}
		// A wait for a's own watch, so the next step reads its base there.
		a.states.wait(t, 5*time.Second, step.name+" on a", func(s *State) bool { return s.ServedRevision() >= rev })
	}

	// A stale base changes nothing.
	stale := &ZoneRecords{Revision: 1, Gen: b.State().Zones["example.com."].Gen}
	_, err := a.UpdateZone(ctx, "example.com.", stale, []RRset{{Name: "x.example.com.", Type: "A", TTL: 1, Data: []string{"192.0.2.1"}, Source: SourceData}}, nil)
	var changed *ZoneChangedError
	if !errors.As(err, &changed) || changed.Current != last {
		t.Fatalf("update from a stale base: %v, want a *ZoneChangedError at %d", err, last)
	}
	if z, err := a.ZoneRecords(ctx, "example.com."); err != nil || z.Revision != last || z.Len() != 2 {
		t.Errorf("after the refused update: %+v, %v", z, err)
	}
}

// TestZoneReplaceLarge replaces a zone's records with more RRsets than
// one transaction holds: they are written as a new generation and
// flipped in at once, so a watching node sees the old records or all
// the new ones, never a part; the old generation's keys are gone after,
// and a node opened afterwards reads the same.
func TestZoneReplaceLarge(t *testing.T) {
	t.Parallel()
	a, raw, eps := zoneStore(t)
	ctx := ctxTimeout(t, time.Minute)
	// 25,000: a node opened later reads the store in pages
	// (Options.ReadPage, made smaller here).
	for _, n := range []int{1000, 3 * MaxTxnOps, 25000, 10} {
		sets := map[string]RRset{}
		for i := range n {
			r := RRset{Name: fmt.Sprintf("h%d.example.com.", i), Type: "A", TTL: 300, Data: []string{fmt.Sprintf("10.0.%d.%d", i/256, i%256)}, Source: SourceData}
			sets[r.Key()] = r
		}
		rev, err := a.ReplaceZone(ctx, "example.com.", sets)
		if err != nil {
			t.Fatalf("replacing with %d RRsets: %v", n, err)
		}
		st := a.states.wait(t, 10*time.Second, "the replacement", func(s *State) bool { return s.ServedRevision() >= rev })
		if got := st.Zones["example.com."].Len(); got != n {
			t.Errorf("replacing with %d RRsets: the state holds %d", n, got)
		}
		// Only the new generation's buckets are stored, each of about
		// bucketBytes of JSON, compressed.
		resp, err := raw.Get(ctx, testPrefix+"zones/example.com. rr ", clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		gen, size, stored := st.Zones["example.com."].Gen, 0, 0
		var codec bucketCodec
		for _, kv := range resp.Kvs {
			js, err := codec.decode(kv.Value)
			if err != nil || kv.Value[0] != deflatedBucket {
				t.Fatalf("replacing with %d RRsets: %s is not a compressed bucket: %v", n, kv.Key, err)
			}
			size += len(js)
			stored += len(kv.Value)
			if k, ok := parseZoneKey(string(kv.Key[len(testPrefix+"zones/"):])); !ok || k.gen != gen || k.buckets == 0 {
				t.Errorf("replacing with %d RRsets: %s stored, not a bucket of generation %s", n, kv.Key, gen)
			}
		}
		if avg := size / max(1, len(resp.Kvs)); len(resp.Kvs) > 1 && (avg < bucketBytes/4 || avg > bucketBytes) {
			t.Errorf("replacing with %d RRsets: %d buckets of %d bytes on average, want about %d", n, len(resp.Kvs), avg, bucketBytes)
		}
		if stored > size/3 {
			t.Errorf("replacing with %d RRsets: %d bytes stored for %d of JSON", n, stored, size)
		}
		// Pages of 50 keys: the 25,000 RRsets are read in several.
		late := openNode(t, eps, fmt.Sprintf("late%d", n), func(o *Options) { o.ReadPage = 50 })
		lst := late.states.wait(t, 10*time.Second, "a node opened later reads the zone", func(s *State) bool { return s.ServedRevision() >= rev })
		if got := lst.Zones["example.com."].Len(); got != n {
			t.Errorf("a node opened later holds %d RRsets, want %d", got, n)
		}
	}
	// Every state a saw held one of the sizes written, never a part.
	a.states.mu.Lock()
	defer a.states.mu.Unlock()
	for _, n := range a.states.zoneSizes {
		if n != 1 && n != 1000 && n != 3*MaxTxnOps && n != 25000 && n != 10 {
			t.Errorf("a state held %d RRsets: a replacement seen in part", n)
		}
	}
}

// TestZoneDocumentLarge applies documents whose records change more
// RRsets than one transaction holds, beside the zone's data: the
// document's records come and go by a new generation, the data stays.
func TestZoneDocumentLarge(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	a := openNode(t, eps, "a")
	ctx := ctxTimeout(t, time.Minute)
	first, err := a.ApplyTraffic(ctx, loadTraffic(t), AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	base := a.states.wait(t, 5*time.Second, "the document", func(s *State) bool { return s.TrafficRevision >= first }).Zones["example.com."]
	rev, err := a.UpdateZone(ctx, "example.com.", base, []RRset{{Name: "data.example.com.", Type: "TXT", TTL: 60, Data: []string{`"kept"`}, Source: SourceData}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.states.wait(t, 5*time.Second, "the data", func(s *State) bool { return s.ServedRevision() >= rev })
	var many []config.Record
	for i := range 3 * MaxTxnOps {
		many = append(many, rec(fmt.Sprintf("d%d", i), "A", fmt.Sprintf("192.0.2.%d", i%250)))
	}
	for _, step := range []struct {
		name string
		recs []config.Record
		want int // RRsets stored: the glue, the data and these
	}{
		{"many records", many, 2 + len(many)},
		{"none again", nil, 2},
	} {
		rev, err := a.ApplyTraffic(ctx, loadTraffic(t, withRecords(step.recs...)), AnyRevision)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		st := a.states.wait(t, 10*time.Second, step.name, func(s *State) bool { return s.TrafficRevision >= rev })
		z := st.Zones["example.com."]
		data, _ := z.Lookup("data.example.com. TXT")
		if z.Len() != step.want || data.Source != SourceData {
			t.Errorf("%s: %d RRsets stored (data %+v), want %d with the data kept", step.name, z.Len(), data, step.want)
		}
		if !SameDocument(st.Document(), loadTraffic(t, withRecords(step.recs...))) {
			t.Errorf("%s: the state's document is not the one applied", step.name)
		}
	}
}

// TestResyncKeepsUnchangedZones: a node whose watch broke reads the store
// again; a zone that did not change meanwhile keeps the records it held
// (not a second copy of them), one that changed is read anew.
func TestResyncKeepsUnchangedZones(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	proxy := clustertest.StartProxy(t, eps[0])
	n := openNode(t, []string{proxy.Endpoint()}, "a")
	w := openNode(t, eps, "writer")
	ctx := ctxT(t)
	doc := loadTraffic(t)
	doc.Zones = append(doc.Zones, config.Zone{Name: "other.com.", SOA: doc.Zones[0].SOA, NS: doc.Zones[0].NS})
	if _, err := w.ApplyTraffic(ctx, doc, AnyRevision); err != nil {
		t.Fatal(err)
	}
	sets := func(n int) map[string]RRset {
		out := map[string]RRset{}
		for i := range n {
			r := RRset{Name: fmt.Sprintf("h%d.example.com.", i), Type: "A", TTL: 300, Data: []string{"192.0.2.1"}, Source: SourceData}
			out[r.Key()] = r
		}
		return out
	}
	if _, err := w.ReplaceZone(ctx, "example.com.", sets(20)); err != nil {
		t.Fatal(err)
	}
	other := map[string]RRset{"a.other.com. A": {Name: "a.other.com.", Type: "A", TTL: 60, Data: []string{"192.0.2.2"}, Source: SourceData}}
	rev, err := w.ReplaceZone(ctx, "other.com.", other)
	if err != nil {
		t.Fatal(err)
	}
	before := n.states.wait(t, 10*time.Second, "a reads both zones", func(s *State) bool { return s.Revision >= rev })

	proxy.Cut()
	changed, err := w.ReplaceZone(ctx, "other.com.", map[string]RRset{})
	if err != nil {
		t.Fatal(err)
	}
	// A compaction keeps its own revision: a second write puts the
	// change before it.
	if _, err := clustertest.Client(t, eps).Put(ctx, testPrefix+"overrides/www.example.com./us-east", `{"state":"down"}`); err != nil {
		t.Fatal(err)
	}
	clustertest.Compact(t, eps)
	proxy.Restore()
	n.logs.wait(t, 15*time.Second, "reading the store again", "compacted")
	st := n.states.wait(t, 10*time.Second, "a reads the store again", func(s *State) bool { return s.Revision >= changed })
	if st.Zones["example.com."] != before.Zones["example.com."] {
		t.Error("the unchanged zone's records were read into a second copy")
	}
	if got := st.Zones["example.com."].Len(); got != 20 {
		t.Errorf("the unchanged zone holds %d RRsets, want 20", got)
	}
	if got := st.Zones["other.com."].Len(); got != 0 {
		t.Errorf("the zone changed while a was cut off holds %d RRsets, want none", got)
	}
}
