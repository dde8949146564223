package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// zoneKeys returns the keys stored below example.com.'s records, taken
// apart, with their revisions.
func zoneKeys(t *testing.T, raw *clientv3.Client) (keys []zoneKey, revs []int64) {
	t.Helper()
	resp, err := raw.Get(ctxT(t), testPrefix+"zones/example.com. rr ", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		k, ok := parseZoneKey(string(kv.Key[len(testPrefix+"zones/"):]))
		if !ok {
			t.Fatalf("%s is no zone key", kv.Key)
		}
		keys, revs = append(keys, k), append(revs, kv.ModRevision)
	}
	return keys, revs
}

func aRRset(i int) RRset {
	return RRset{Name: fmt.Sprintf("h%d.example.com.", i), Type: "A", TTL: 300, Data: []string{fmt.Sprintf("10.0.%d.%d", i/256%256, i%256)}, Source: SourceData}
}

// zoneStore starts etcd and a node a on it holding the test document,
// and returns a, a client of its own on the same etcd, and etcd's
// endpoints (for nodes opened later).
func zoneStore(t *testing.T, edit ...func(*Options)) (*node, *clientv3.Client, []string) {
	t.Helper()
	eps := clustertest.StartEtcd(t)
	a := openNode(t, eps, "a", edit...)
	if _, err := a.ApplyTraffic(ctxT(t), loadTraffic(t), AnyRevision); err != nil {
		t.Fatal(err)
	}
	return a, clustertest.Client(t, eps), eps
}

// replaceWithA makes aRRset 0 to n-1 example.com.'s records and returns
// them as a's watch read them.
func replaceWithA(t *testing.T, a *node, n int) *ZoneRecords {
	t.Helper()
	sets := map[string]RRset{}
	for i := range n {
		sets[aRRset(i).Key()] = aRRset(i)
	}
	rev, err := a.ReplaceZone(ctxT(t), "example.com.", sets)
	if err != nil {
		t.Fatal(err)
	}
	return a.states.wait(t, 10*time.Second, "the zone", func(s *State) bool { return s.ServedRevision() >= rev }).Zones["example.com."]
}

// TestZoneBuckets: a change of one RRset in a zone of many buckets
// writes that bucket and the head alone, and a node's records take it
// in while sharing every other bucket; a deletion that empties a bucket
// deletes its key; a node opened later reads the same.
func TestZoneBuckets(t *testing.T) {
	t.Parallel()
	a, raw, eps := zoneStore(t)
	ctx := ctxTimeout(t, time.Minute)
	before := replaceWithA(t, a, 5000)
	keys, _ := zoneKeys(t, raw)
	n := keys[0].buckets
	if n < 4 || len(keys) != n {
		t.Fatalf("%d keys of %d buckets stored for 5,000 RRsets; want every bucket of several", len(keys), n)
	}

	changed := aRRset(7)
	changed.Data = []string{"192.0.2.7"}
	rev, err := a.UpdateZone(ctx, "example.com.", before, []RRset{changed}, []string{aRRset(8).Key()})
	if err != nil {
		t.Fatal(err)
	}
	after := a.states.wait(t, 10*time.Second, "the update", func(s *State) bool { return s.ServedRevision() >= rev }).Zones["example.com."]
	keys, revs := zoneKeys(t, raw)
	var written []int
	for i, k := range keys {
		if revs[i] == rev {
			written = append(written, k.bucket)
		}
	}
	want := []int{bucketOf(changed.Key(), n), bucketOf(aRRset(8).Key(), n)}
	slices.Sort(want)
	if want = slices.Compact(want); !slices.Equal(written, want) {
		t.Errorf("the update wrote buckets %v, want %v alone", written, want)
	}
	if r, _ := after.Lookup(changed.Key()); !slices.Equal(r.Data, changed.Data) {
		t.Errorf("%s is %v after the update", changed.Key(), r.Data)
	}
	if _, ok := after.Lookup(aRRset(8).Key()); ok || after.Len() != 4999 {
		t.Errorf("after the update: %d RRsets, h8 still there: %v", after.Len(), ok)
	}
	got, ok := after.ChangedSince(before, 100)
	if !ok || len(got) != 2 {
		t.Errorf("ChangedSince found %v, want h7 and h8", got)
	}
	// An RRset the bucket holds unchanged keeps its parse.
	for k, r := range after.sets.inShard(bucketOf(changed.Key(), n)) {
		if o, ok := before.sets.get(k); ok && k != changed.Key() && unsafe.StringData(string(o.wire)) != unsafe.StringData(string(r.wire)) {
			t.Errorf("%s was parsed again though unchanged", k)
			break
		}
	}
	shared := 0
	for i := range after.sets.shards {
		if sameShard(after.sets.shards[i], before.sets.shards[i]) {
			shared++
		}
	}
	if shared < n-len(want) {
		t.Errorf("%d of %d buckets shared with the records before the update", shared, n)
	}

	// Empty a bucket: its key goes.
	target := bucketOf(aRRset(0).Key(), n)
	var dels []string
	for k := range after.sets.inShard(target) {
		dels = append(dels, k)
	}
	rev, err = a.UpdateZone(ctx, "example.com.", after, nil, dels)
	if err != nil {
		t.Fatal(err)
	}
	emptied := a.states.wait(t, 10*time.Second, "the bucket emptied", func(s *State) bool { return s.ServedRevision() >= rev }).Zones["example.com."]
	if emptied.Len() != after.Len()-len(dels) {
		t.Errorf("%d RRsets after emptying a bucket of %d, want %d", emptied.Len(), len(dels), after.Len()-len(dels))
	}
	keys, _ = zoneKeys(t, raw)
	for _, k := range keys {
		if k.bucket == target {
			t.Errorf("bucket %d emptied but still stored", target)
		}
	}
	late := openNode(t, eps, "late")
	lst := late.states.wait(t, 10*time.Second, "a node opened later", func(s *State) bool { return s.ServedRevision() >= rev })
	if !slices.Equal(servedLines(lst), servedLines(a.State())) {
		t.Error("a node opened later holds other records than the one that watched the changes")
	}
}

// TestZoneBucketsGrow: a zone that starts small and grows one change at
// a time is written again in more buckets when a bucket outgrows
// maxBucketBytes, and holds every RRset after; one RRset larger than a
// bucket does not make every change write a new generation.
func TestZoneBucketsGrow(t *testing.T) {
	t.Parallel()
	a, raw, _ := zoneStore(t)
	ctx := ctxTimeout(t, 2*time.Minute)
	text := func(i int) RRset {
		return RRset{Name: fmt.Sprintf("t%d.example.com.", i), Type: "TXT", TTL: 300, Data: []string{`"` + strings.Repeat("x", 200) + `"`, `"` + strings.Repeat("y", 200) + `"`, `"` + strings.Repeat("z", 200) + `"`}, Source: SourceData}
	}
	update := func(base *ZoneRecords, puts []RRset) *ZoneRecords {
		t.Helper()
		rev, err := a.UpdateZone(ctx, "example.com.", base, puts, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a.states.wait(t, 10*time.Second, "an update", func(s *State) bool { return s.ServedRevision() >= rev }).Zones["example.com."]
	}
	z := a.states.wait(t, 10*time.Second, "the document", func(s *State) bool { return s.Traffic != nil }).Zones["example.com."]
	total, grew := z.Len(), 0
	gen := z.Gen
	for round := range 40 {
		var puts []RRset
		for range 20 {
			puts = append(puts, text(total+1000))
			total++
		}
		z = update(z, puts)
		if z.Len() != total {
			t.Fatalf("round %d: %d RRsets, want %d", round, z.Len(), total)
		}
		if z.Gen != gen {
			gen, grew = z.Gen, grew+1
		}
	}
	keys, _ := zoneKeys(t, raw)
	n := keys[0].buckets
	// 800 RRsets of about 620 bytes: 0.5 MB.
	if n < 16 || grew < 1 || grew > 4 {
		t.Errorf("%d buckets after growing to %d RRsets, in %d generations; want several, each a few times larger", n, total, grew)
	}
	for _, k := range keys {
		if k.gen != gen || k.buckets != n {
			t.Errorf("key %+v stored beside generation %s of %d buckets", k, gen, n)
		}
	}

	// One RRset of 150 kB.
	big := RRset{Name: "big.example.com.", Type: "TXT", TTL: 300, Source: SourceData}
	for range 600 {
		big.Data = append(big.Data, `"`+strings.Repeat("b", 250)+`"`)
	}
	z = update(z, []RRset{big})
	gen = z.Gen
	// Changes beside it, in its bucket among others.
	for i := range 20 {
		z = update(z, []RRset{aRRset(i)})
	}
	for i := 0; z.Gen == gen && i < 200; i++ {
		r := aRRset(1000 + i)
		if bucketOf(r.Key(), len(z.sets.shards)) == bucketOf(big.Key(), len(z.sets.shards)) {
			z = update(z, []RRset{r})
		}
	}
	// And the large RRset itself changed.
	for i := range 5 {
		big.Data[0] = fmt.Sprintf(`"%d"`, i)
		z = update(z, []RRset{big})
	}
	// What a change is said to leave is what it leaves.
	c := zoneChange{zone: "example.com.", base: z, puts: []RRset{big, aRRset(99999)}, deletes: []string{aRRset(3).Key()}}
	want := 0
	for _, r := range c.after() {
		want += sizeOf(r)
	}
	if got := c.size(); got != want {
		t.Errorf("a change is said to leave %d bytes, it leaves %d", got, want)
	}
	if z.Gen != gen {
		t.Errorf("changes of and beside a large RRset wrote a new generation: %d buckets, it holds %d bytes", len(z.sets.shards), sizeOf(big))
	}
}

// TestZoneOneRRsetAKey: records an earlier gtmd stored one RRset a key
// are read and served, and the zone's next change writes them again in
// buckets, losing none.
func TestZoneOneRRsetAKey(t *testing.T) {
	t.Parallel()
	eps := clustertest.StartEtcd(t)
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)
	ops := []clientv3.Op{}
	for i := range 50 {
		r := aRRset(i)
		ops = append(ops, clientv3.OpPut(testPrefix+"zones/example.com. rr 00000000000000aa "+r.Key(), fmt.Sprintf(`{"ttl":300,"data":[%q],"source":"data"}`, r.Data[0])))
	}
	ops = append(ops, clientv3.OpPut(testPrefix+"zones/example.com. head", `{"gen":"00000000000000aa"}`))
	if _, err := raw.Txn(ctx).Then(ops...).Commit(); err != nil {
		t.Fatal(err)
	}
	a := openNode(t, eps, "a")
	if _, err := a.ApplyTraffic(ctx, loadTraffic(t), AnyRevision); err != nil {
		t.Fatal(err)
	}
	// The document's records (a new generation in buckets), beside the
	// 50 read.
	data := func(z *ZoneRecords) (n int) {
		for r := range z.All() {
			if r.Source == SourceData {
				n++
			}
		}
		return n
	}
	st := a.states.wait(t, 10*time.Second, "the zone read", func(s *State) bool { return s.Traffic != nil && data(s.Zones["example.com."]) == 50 })
	z := st.Zones["example.com."]
	if r, ok := z.Lookup(aRRset(49).Key()); !ok || r.Data[0] != "10.0.0.49" {
		t.Fatalf("h49 read as %+v", r)
	}
	if z.Gen == "00000000000000aa" || !z.sets.bucketed {
		t.Errorf("after the document's apply: generation %s, in buckets: %v", z.Gen, z.sets.bucketed)
	}
	read, err := a.ZoneRecords(ctx, "example.com.")
	if err != nil || read.Len() != z.Len() {
		t.Fatalf("the zone read from the store: %d RRsets, %v", read.Len(), err)
	}
	changed := aRRset(3)
	changed.Data = []string{"192.0.2.3"}
	rev, err := a.UpdateZone(ctx, "example.com.", z, []RRset{changed}, []string{aRRset(4).Key()})
	if err != nil {
		t.Fatal(err)
	}
	st = a.states.wait(t, 10*time.Second, "the update", func(s *State) bool { return s.ServedRevision() >= rev })
	z = st.Zones["example.com."]
	if data(z) != 49 {
		t.Errorf("after the update: %d RRsets of data, want 49", data(z))
	}
	if r, _ := z.Lookup(changed.Key()); !slices.Equal(r.Data, changed.Data) {
		t.Errorf("h3 is %v", r.Data)
	}
	keys, _ := zoneKeys(t, raw)
	for _, k := range keys {
		if k.buckets == 0 {
			t.Errorf("key %+v of one RRset left after the zone was written in buckets", k)
		}
	}
}

// TestZoneBadBucket: a bucket that cannot be read (not JSON, an RRset in
// the wrong bucket) is reported and changes nothing; the records served
// stay.
func TestZoneBadBucket(t *testing.T) {
	t.Parallel()
	a, raw, _ := zoneStore(t)
	logs := a.logs
	z := replaceWithA(t, a, 3000)
	n := len(z.sets.shards)
	i := bucketOf(aRRset(0).Key(), n)
	wrong := (i + 1) % n
	for _, bad := range []struct{ key, value string }{
		{fmt.Sprintf("%d/%d", i, n), `not json`},
		{fmt.Sprintf("%d/%d", wrong, n), fmt.Sprintf(`{%q:{"ttl":1,"data":["192.0.2.1"],"source":"data"}}`, aRRset(0).Key())},
	} {
		if _, err := raw.Put(context.Background(), testPrefix+"zones/example.com. rr "+z.Gen+" "+bad.key, bad.value); err != nil {
			t.Fatal(err)
		}
		logs.wait(t, 10*time.Second, "unreadable value in the cluster store", bad.key)
	}
	if got := a.State().Zones["example.com."]; got.Len() != 3000 {
		t.Errorf("%d RRsets after bad buckets, want 3000", got.Len())
	}
}

// TestZoneBothLayouts: a generation in buckets into which an earlier
// gtmd wrote an RRset a key (a cluster being upgraded) is served whole,
// read whole by a writer even when that key sorts before the buckets,
// and the next change writes the zone again in buckets alone, the RRset
// included.
func TestZoneBothLayouts(t *testing.T) {
	t.Parallel()
	a, raw, eps := zoneStore(t)
	ctx := ctxT(t)
	// Over inPlaceMax RRsets a shard once held RRset by RRset: the
	// RRset of one key goes through an overlay, settled before the
	// state is handed out (node.states checks every state).
	z := replaceWithA(t, a, 20000)
	head := testPrefix + "zones/example.com. head"
	resp, err := raw.Get(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	// "*" sorts before "0/n": the one-a-key RRset is read first.
	if _, err := raw.Txn(ctx).Then(
		clientv3.OpPut(testPrefix+"zones/example.com. rr "+z.Gen+" *.example.com. A", `{"ttl":60,"data":["192.0.2.9"],"source":"data"}`),
		clientv3.OpPut(head, string(resp.Kvs[0].Value)),
	).Commit(); err != nil {
		t.Fatal(err)
	}
	st := a.states.wait(t, 10*time.Second, "the RRset of one key", func(s *State) bool {
		_, ok := s.Zones["example.com."].Lookup("*.example.com. A")
		return ok
	})
	if got := st.Zones["example.com."]; got.Len() != z.Len()+1 || got.sets.bucketed {
		t.Errorf("%d RRsets (want %d), still bucketed: %v", got.Len(), z.Len()+1, got.sets.bucketed)
	}
	// A node opened now reads the generation of both layouts whole.
	mid := openNode(t, eps, "mid")
	mst := mid.states.wait(t, 10*time.Second, "a node opened on both layouts", func(s *State) bool {
		return s.Zones["example.com."].Len() == z.Len()+1
	})
	if !slices.Equal(servedLines(mst), servedLines(st)) {
		t.Error("a node opened on both layouts holds other records")
	}
	read, err := a.ZoneRecords(ctx, "example.com.")
	if err != nil || read.Len() != z.Len()+1 || read.sets.bucketed {
		t.Fatalf("a writer's read: %v, %d RRsets", err, read.Len())
	}
	checkSettled(t, read.sets)
	rev, err := a.UpdateZone(ctx, "example.com.", read, []RRset{aRRset(50000)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st = a.states.wait(t, 10*time.Second, "the update", func(s *State) bool { return s.ServedRevision() >= rev })
	if got := st.Zones["example.com."]; got.Len() != z.Len()+2 || !got.sets.bucketed || got.Gen == z.Gen {
		t.Errorf("after the update: %d RRsets (want %d), bucketed %v, generation %s (was %s)", got.Len(), z.Len()+2, got.sets.bucketed, got.Gen, z.Gen)
	}
	keys, _ := zoneKeys(t, raw)
	for _, k := range keys {
		if k.buckets == 0 {
			t.Errorf("%+v left beside the buckets", k)
		}
	}
	late := openNode(t, eps, "late")
	lst := late.states.wait(t, 10*time.Second, "a node opened later", func(s *State) bool { return s.ServedRevision() >= rev })
	if !slices.Equal(servedLines(lst), servedLines(st)) {
		t.Error("a node opened later holds other records")
	}
}

// TestZoneChangeBesideLargeDocument: the document's own size counts
// toward a transaction's: an apply of a large document with RRset
// changes whose buckets would not fit beside it writes them apart.
func TestZoneChangeBesideLargeDocument(t *testing.T) {
	t.Parallel()
	a, _, _ := zoneStore(t)
	ctx := ctxT(t)
	base := replaceWithA(t, a, 20000)
	var puts []RRset
	for i := range 12 {
		r := aRRset(i * 97)
		r.Data = []string{"192.0.2.1"}
		puts = append(puts, r)
	}
	doc := clientv3.OpPut(testPrefix+"large", strings.Repeat("x", 1480<<10))
	resp, err := a.commitZones(ctx, nil, []clientv3.Op{doc}, []zoneChange{{zone: "example.com.", base: base, puts: puts}})
	if err != nil || !resp.Succeeded {
		t.Fatalf("commit beside a 1.5 MB value: %v", err)
	}
}

// TestParseZoneKey: keys gtmd writes are taken apart; others are not
// (a bucket written 01/4 is another etcd key than 1/4).
func TestParseZoneKey(t *testing.T) {
	for _, c := range []struct {
		rest string
		want zoneKey
		ok   bool
	}{
		{"example.com. head", zoneKey{zone: "example.com.", head: true}, true},
		{"example.com. rr g 1/4", zoneKey{zone: "example.com.", gen: "g", bucket: 1, buckets: 4}, true},
		{"example.com. rr g 0/1", zoneKey{zone: "example.com.", gen: "g", bucket: 0, buckets: 1}, true},
		{"example.com. rr g www.example.com. A", zoneKey{zone: "example.com.", gen: "g", set: "www.example.com. A"}, true},
		{"example.com. rr g 01/4", zoneKey{}, false},
		{"example.com. rr g +1/4", zoneKey{}, false},
		{"example.com. rr g 1/04", zoneKey{}, false},
		{"example.com. rr g 4/4", zoneKey{}, false},
		{"example.com. rr g 1/3", zoneKey{}, false},
		{"example.com. rr g 1/131072", zoneKey{}, false},
		{"example.com. rr g -1/4", zoneKey{}, false},
		{"example.com. rr g", zoneKey{}, false},
		{"example.com. rr g 1", zoneKey{}, false},
	} {
		got, ok := parseZoneKey(c.rest)
		if ok != c.ok || got != c.want {
			t.Errorf("parseZoneKey(%q) = %+v, %v; want %+v, %v", c.rest, got, ok, c.want, c.ok)
		}
	}
}

// TestPendingGenerationDropped: a generation no head names whose keys
// are all deleted (written for a change that then failed) is forgotten.
func TestPendingGenerationDropped(t *testing.T) {
	s := &Store{pending: pendingGens{}, log: slog.New(slog.DiscardHandler)}
	st := newState()
	for i := range 4 {
		m := map[string]RRset{}
		for j := range 50 {
			if r := aRRset(j); bucketOf(r.Key(), 4) == i {
				m[r.Key()] = r
			}
		}
		if err := s.applyZonePut(st, fmt.Sprintf("example.com. rr g %d/4", i), &mvccpb.KeyValue{Value: []byte(encodeBucket(m))}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.pending["example.com."]["g"].len(); got != 50 {
		t.Fatalf("pending generation holds %d RRsets, want 50", got)
	}
	for i := range 4 {
		s.applyZoneDelete(st, fmt.Sprintf("example.com. rr g %d/4", i))
	}
	if len(s.pending) != 0 {
		t.Errorf("pending generations left: %v", s.pending)
	}
}

// bucketSample is a bucket of RRsets whose data need escapes.
var bucketSample = map[string]RRset{
	"a.example.com. A":     {TTL: 300, Data: []string{"192.0.2.1", "192.0.2.2"}, Source: SourceData},
	"t.example.com. TXT":   {TTL: 0, Data: []string{`"say \\"hi\\"" <&> é \u2028`, "\x01\u2028", "\xff"}, Source: SourceDocument},
	"e.example.com. TYPE9": {TTL: 4294967295, Data: []string{}},
	"n.example.com. NS":    {TTL: 60},
	"q\"\\.example.com. A": {TTL: 1, Data: []string{"192.0.2.3"}, Source: "other"},
}

// bucketSeeds are buckets as encodeBucket writes them and as they might
// be written otherwise.
func bucketSeeds() []string {
	written := encodeBucket(bucketSample)
	return []string{
		written, `{}`, ` { } `, `null`, `{"a A":null}`, `{"a A":{}}`,
		`{"a A":{"ttl":1,"data":["x"],"source":"data"},"a A":{"ttl":2}}`,
		`{"a A":{"TTL":1}}`, `{"a A":{"ttl":1,"other":[1]}}`, `{"a A":{"ttl":-1}}`,
		`{"a A":{"ttl":1.0}}`, `{"a A":{"ttl":4294967296}}`, `{"a A":{"ttl":null,"data":null,"source":null}}`,
		`{"a\u0020A":{"source":"\u0064ata"}}`, "{\"\xff A\":{}}", `{"a A":{"ttl":1}`, `{"a A":{"ttl":1}} x`,
		`[]`, `""`, ``,
	}
}

// readBucketBoth reads b by the scan, falling back to encoding/json as
// decodeBucket does, and by encoding/json alone.
func readBucketBoth(b []byte) (got, want map[string]RRset, gotErr, wantErr error) {
	got, ok := scanBucket(b)
	if !ok {
		got = nil
		gotErr = json.Unmarshal(b, &got)
	}
	wantErr = json.Unmarshal(b, &want)
	return got, want, gotErr, wantErr
}

// TestScanBucket: a bucket reads as encoding/json reads it, by the scan
// when encodeBucket wrote it.
func TestScanBucket(t *testing.T) {
	for _, seed := range bucketSeeds() {
		got, want, gotErr, wantErr := readBucketBoth([]byte(seed))
		if (gotErr == nil) != (wantErr == nil) || (gotErr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q: read %#v (%v), encoding/json reads %#v (%v)", seed, got, gotErr, want, wantErr)
		}
	}
	if sets, ok := scanBucket([]byte(bucketSeeds()[0])); !ok || len(sets) != len(bucketSample) {
		t.Errorf("a bucket encodeBucket wrote is not scanned: %d RRsets, %v", len(sets), ok)
	}
	// encodeBucket writes what encoding/json reads back as it was, as it
	// reads what it writes itself.
	var back, want map[string]RRset
	if err := json.Unmarshal([]byte(encodeBucket(bucketSample)), &back); err != nil {
		t.Fatal(err)
	}
	marshaled, _ := json.Marshal(bucketSample)
	if got := encodeBucket(bucketSample); got != string(marshaled) {
		t.Errorf("encodeBucket wrote\n%s\nencoding/json writes\n%s", got, marshaled)
	}
	json.Unmarshal(marshaled, &want)
	if !reflect.DeepEqual(back, want) {
		t.Errorf("encodeBucket wrote what reads back as %#v, want %#v", back, want)
	}
}

// FuzzBucket: any value reads as encoding/json reads it.
func FuzzBucket(f *testing.F) {
	for _, seed := range bucketSeeds() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want, gotErr, wantErr := readBucketBoth(b)
		if (gotErr == nil) != (wantErr == nil) || (gotErr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q: read %#v (%v), encoding/json reads %#v (%v)", b, got, gotErr, want, wantErr)
		}
	})
}

// encodeBucket is a bucket's JSON as a string.
func encodeBucket(sets map[string]RRset) string { return string(bucketJSON(sets)) }
