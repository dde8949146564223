package cluster

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/gtmd/gtmd/pkg/config"
)

// TestStoredRRsetsBorrow: records borrowed by a later state change
// without the earlier state seeing it, shard by shard: shards small
// enough to change in place and a shard large enough to change through
// an overlay, borrowed again before it is settled.
func TestStoredRRsetsBorrow(t *testing.T) {
	for _, shards := range []int{defaultShards, 1} {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			before := newStoredRRsets(shards, false)
			for i := range 1000 {
				before.put(fmt.Sprintf("h%d.example.com. A", i), storedRRset{ttl: uint32(i)})
			}
			before.settle()
			after := before.borrow()
			after.put("h1.example.com. A", storedRRset{ttl: 99999})
			after.put("new.example.com. A", storedRRset{ttl: 7})
			after.del("h2.example.com. A")
			after.del("missing.example.com. A")
			after.put("h5.example.com. A", storedRRset{ttl: 55555})
			after.del("h6.example.com. A")
			after.put("new2.example.com. A", storedRRset{ttl: 8})
			after.del("new2.example.com. A")

			if r, _ := before.get("h1.example.com. A"); r.ttl != 1 {
				t.Errorf("the earlier records see the later change: TTL %d", r.ttl)
			}
			if r, _ := before.get("h5.example.com. A"); r.ttl != 5 {
				t.Errorf("the earlier records see the later change: TTL %d", r.ttl)
			}
			for _, k := range []string{"new.example.com. A", "new2.example.com. A"} {
				if _, ok := before.get(k); ok {
					t.Errorf("the earlier records see %s, added later", k)
				}
			}
			for _, k := range []string{"h2.example.com. A", "h6.example.com. A"} {
				if _, ok := before.get(k); !ok {
					t.Errorf("the earlier records lost %s, deleted later", k)
				}
			}
			if before.len() != 1000 || after.len() != 999 {
				t.Errorf("len %d before, %d after; want 1000 and 999 (one added, two deleted)", before.len(), after.len())
			}
			if r, _ := after.get("h1.example.com. A"); r.ttl != 99999 {
				t.Errorf("the change is not in the later records: TTL %d", r.ttl)
			}
			if _, ok := after.get("h6.example.com. A"); ok {
				t.Error("the later records hold an RRset they deleted")
			}
			if seen := len(collect(after)); seen != after.len() {
				t.Errorf("all yields %d RRsets, len says %d", seen, after.len())
			}
			if seen := len(collect(before)); seen != 1000 {
				t.Errorf("all yields %d RRsets of the earlier records, want 1000", seen)
			}
			// Only the shards changed were copied.
			shared := 0
			for i := range before.shards {
				if before.shards[i] != nil && sameShard(before.shards[i], after.shards[i]) {
					shared++
				}
			}
			if want := max(0, shards-6); shared < want {
				t.Errorf("%d of %d shards still shared after changes to six keys", shared, shards)
			}

			// Borrowed again before the overlays are merged: neither
			// sees the other's changes, and both merge to what they hold.
			later := after.borrow()
			later.put("h7.example.com. A", storedRRset{ttl: 77777})
			later.del("new.example.com. A")
			later.put("newer.example.com. A", storedRRset{ttl: 9})
			if r, _ := after.get("h7.example.com. A"); r.ttl != 7 {
				t.Errorf("borrowed unsettled, the earlier records see the later change: TTL %d", r.ttl)
			}
			if _, ok := after.get("newer.example.com. A"); ok {
				t.Error("borrowed unsettled, the earlier records see an RRset added later")
			}
			if _, ok := after.get("new.example.com. A"); !ok {
				t.Error("borrowed unsettled, the earlier records lost an RRset deleted later")
			}
			want := collect(after)
			after.settle()
			later.settle()
			checkSettled(t, after)
			checkSettled(t, later)
			if got := collect(after); !maps.Equal(got, want) {
				t.Errorf("settled, the earlier records hold %d RRsets, want %d", len(got), len(want))
			}
			if got := collect(before); len(got) != 1000 || got["h1.example.com. A"] != 1 || got["h6.example.com. A"] != 6 {
				t.Errorf("the first records changed: %d RRsets", len(got))
			}
			if later.len() != 999 || len(collect(later)) != 999 {
				t.Errorf("the latest records: len %d, %d yielded; want 999", later.len(), len(collect(later)))
			}
		})
	}
}

// collect is s's RRsets' TTLs by Key, as all yields them; it fails on a
// Key yielded twice.
func collect(s *storedRRsets) map[string]uint32 {
	out := map[string]uint32{}
	for k, r := range s.all {
		if _, dup := out[k]; dup {
			panic("all yields " + k + " twice")
		}
		out[k] = r.ttl
	}
	return out
}

// checkSettled fails t unless s holds its RRsets in sorted shards alone,
// each Key in its shard, as many as len says.
func checkSettled(t *testing.T, s *storedRRsets) {
	t.Helper()
	if s.overlays != nil {
		t.Error("overlays left after settle")
	}
	n := 0
	for i, sh := range s.shards {
		for j, e := range sh {
			if j > 0 && sh[j-1].key >= e.key {
				t.Fatalf("shard %d: %q after %q", i, e.key, sh[j-1].key)
			}
			if s.shardOf(e.key) != i {
				t.Fatalf("%q in shard %d, not %d", e.key, i, s.shardOf(e.key))
			}
		}
		n += len(sh)
	}
	if n != s.len() {
		t.Errorf("the shards hold %d RRsets, len says %d", n, s.len())
	}
}

// TestChangedSince: the RRsets a later state's records changed, added or
// removed are found, those rewritten as they were are not, and more
// than the limit is said.
func TestChangedSince(t *testing.T) {
	before := &ZoneRecords{sets: newStoredRRsets(defaultShards, false)}
	for i := range 1000 {
		before.sets.put(fmt.Sprintf("h%d.example.com. A", i), storedRRset{ttl: 300, data: &[]string{fmt.Sprintf("192.0.2.%d", i%256)}})
	}
	after := &ZoneRecords{sets: before.sets.borrow()}
	after.sets.put("h1.example.com. A", storedRRset{ttl: 300, data: &[]string{"198.51.100.1"}})
	after.sets.put("h3.example.com. A", storedRRset{ttl: 600, data: &[]string{"192.0.2.3"}})
	after.sets.put("h4.example.com. A", storedRRset{ttl: 300, data: &[]string{"192.0.2.4"}})
	after.sets.put("new.example.com. TXT", storedRRset{ttl: 300, data: &[]string{`"x"`}})
	after.sets.del("h2.example.com. A")

	changes, ok := after.ChangedSince(before, 10)
	if !ok {
		t.Fatal("ChangedSince: more than the limit, want 4 changes")
	}
	got := map[string]string{}
	for _, c := range changes {
		switch {
		case c.Removed:
			got[c.Name+" "+c.Type] = "removed"
		case c.RRset.Name != c.Name || c.RRset.Type != c.Type:
			t.Errorf("change %s %s holds the RRset %s %s", c.Name, c.Type, c.RRset.Name, c.RRset.Type)
		default:
			got[c.Name+" "+c.Type] = fmt.Sprint(c.RRset.TTL) + fmt.Sprint(c.RRset.Data)
		}
	}
	want := map[string]string{
		"h1.example.com. A":    "300[198.51.100.1]",
		"h2.example.com. A":    "removed",
		"h3.example.com. A":    "600[192.0.2.3]",
		"new.example.com. TXT": `300["x"]`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	if back, ok := before.ChangedSince(after, 10); !ok || len(back) != 4 {
		t.Errorf("the other way: %d changes, %v; want 4", len(back), ok)
	}
	if _, ok := after.ChangedSince(before, 3); ok {
		t.Error("four changes under a limit of three")
	}
	if all, ok := after.ChangedSince(nil, 2000); !ok || len(all) != after.Len() {
		t.Errorf("from nothing: %d changes, %v; want %d", len(all), ok, after.Len())
	}
	copied := &ZoneRecords{sets: newStoredRRsets(defaultShards, false)}
	for k, r := range after.sets.all {
		_, typ := splitKey(k)
		data := slices.Clone(r.dataOf(typ))
		copied.sets.put(k, storedRRset{ttl: r.ttl, source: r.source, data: &data})
	}
	if same, ok := copied.ChangedSince(after, 10); !ok || len(same) != 0 {
		t.Errorf("records read apart with the same RRsets: %d changes, %v; want none", len(same), ok)
	}
	var none *ZoneRecords
	if gone, ok := none.ChangedSince(after, 2000); !ok || len(gone) != after.Len() || !gone[0].Removed {
		t.Errorf("to nothing: %d changes, %v; want %d removals", len(gone), ok, after.Len())
	}
}

// TestStoredDataGivenBack: an RRset's data come back exactly as written,
// whether kept or made again from its parsed records, and are kept only
// when the records write them otherwise (or did not parse).
func TestStoredDataGivenBack(t *testing.T) {
	cases := []struct {
		typ  string
		data []string
		kept bool
	}{
		{"A", []string{"192.0.2.1", "192.0.2.2"}, false},
		{"A", []string{"192.0.2.01"}, true},
		{"AAAA", []string{"2001:db8::1"}, false},
		{"AAAA", []string{"2001:DB8::1"}, true},
		{"AAAA", []string{"::ffff:192.0.2.1"}, false}, // as miekg/dns writes a v4-mapped AAAA
		{"TXT", []string{`"hello world" "two"`}, false},
		{"TXT", []string{`hello`}, true},
		{"CNAME", []string{"www.example.com."}, false},
		{"CNAME", []string{"www"}, true},
		{"MX", []string{"10 mail.example.com."}, false},
		{"MX", []string{"10   mail.example.com."}, true},
		{"SRV", []string{"0 5 5060 sip.example.com."}, false},
		{"CAA", []string{`0 issue "letsencrypt.org"`}, false},
		{"TYPE65534", []string{`\# 2 abcd`}, true},
		{"DS", []string{"60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"}, false},
		{"TXT", []string{`"\065"`}, true},
		// The parser keeps the escape; the packed record writes the
		// letter it stands for.
		{"CNAME", []string{`A\065.example.com.`}, true},
		{"A", []string{"not an address"}, true},
		{"A", nil, true},
	}
	for _, c := range cases {
		r := RRset{Name: "x.example.com.", Type: c.typ, TTL: 300, Data: c.data, Source: SourceData}.parsed("example.com.")
		s := r.stored()
		if kept := s.data != nil; kept != c.kept {
			t.Errorf("%s %q: data kept %v, want %v", c.typ, c.data, kept, c.kept)
		}
		got := s.rrset(r.Key())
		if !slices.Equal(got.Data, c.data) || (c.data == nil) != (got.Data == nil) {
			t.Errorf("%s %q: data given back as %q", c.typ, c.data, got.Data)
		}
		if !got.SameAs(r) {
			t.Errorf("%s %q: the RRset given back is not the same as the one stored", c.typ, c.data)
		}
		rec := config.Record{Name: r.Name, Type: r.Type, Data: r.Data}
		if rrs, err := rec.RRs("example.com.", 300); (err == nil && len(rrs) > 0) != (s.wire != "") {
			t.Errorf("%s %q: packed %q", c.typ, c.data, s.wire)
		}
		// An RRset read apart, with its text kept, is the same records.
		data := slices.Clone(c.data)
		apart := storedRRset{ttl: s.ttl, source: s.source, data: &data}
		if !apart.same(s, r.Key()) || !s.same(apart, r.Key()) {
			t.Errorf("%s %q: not the same as itself with its text kept", c.typ, c.data)
		}
		if len(c.data) > 0 {
			data[0] = "x" + data[0]
			if apart.same(s, r.Key()) || s.same(apart, r.Key()) {
				t.Errorf("%s %q: the same as %q", c.typ, c.data, data)
			}
		}
	}
}

// TestZoneRecordsOf: records made from a list hold each RRset of it, the
// later of two of one Key.
func TestZoneRecordsOf(t *testing.T) {
	var sets []RRset
	for i := range 500 {
		sets = append(sets, RRset{Name: fmt.Sprintf("h%d.example.com.", i), Type: "A", TTL: 1, Data: []string{"192.0.2.1"}})
	}
	sets = append(sets, RRset{Name: "h7.example.com.", Type: "A", TTL: 2, Data: []string{"192.0.2.7"}})
	z := ZoneRecordsOf(sets)
	if z.Len() != 500 {
		t.Errorf("Len %d, want 500", z.Len())
	}
	if r, ok := z.Lookup("h7.example.com. A"); !ok || r.TTL != 2 || !slices.Equal(r.Data, []string{"192.0.2.7"}) {
		t.Errorf("h7 is %+v, want the later RRset", r)
	}
}

// TestAfterLen: a change's count of the RRsets it leaves is the size of
// what it leaves, for puts and deletes of RRsets held and not, repeated,
// and of one RRset both.
func TestAfterLen(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	key := func() RRset {
		return RRset{Name: fmt.Sprintf("h%d.example.com.", rnd.IntN(40)), Type: "A", TTL: 1, Data: []string{"192.0.2.1"}}
	}
	for round := range 200 {
		sets := map[string]RRset{}
		for range rnd.IntN(30) {
			r := key()
			sets[r.Key()] = r
		}
		c := zoneChange{zone: "example.com.", base: NewZoneRecords(sets)}
		if round%10 == 0 {
			c.base = nil
		}
		for range rnd.IntN(20) {
			c.puts = append(c.puts, key())
		}
		for range rnd.IntN(20) {
			c.deletes = append(c.deletes, key().Key())
		}
		if got, want := c.afterLen(), len(c.after()); got != want {
			t.Fatalf("round %d: afterLen %d, the change leaves %d", round, got, want)
		}
		// A replacement of every RRset, as diffZone makes one.
		want := map[string]RRset{}
		for range rnd.IntN(30) {
			r := key()
			want[r.Key()] = r
		}
		whole := diffZone("example.com.", c.base, want, nil)
		if got := whole.afterLen(); got != len(want) {
			t.Fatalf("round %d: a replacement's afterLen %d, it leaves %d", round, got, len(want))
		}
	}
}

// TestDiffZoneWhole: a replacement's change leaves exactly the RRsets
// wanted, whether after is made from it or taken whole.
func TestDiffZoneWhole(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		base, want := map[string]RRset{}, map[string]RRset{}
		for i := range rnd.IntN(30) {
			r := RRset{Name: fmt.Sprintf("h%d.example.com.", rnd.IntN(40)), Type: "A", TTL: uint32(i % 3), Data: []string{"192.0.2.1"}}
			base[r.Key()] = r
		}
		for i := range rnd.IntN(30) {
			r := RRset{Name: fmt.Sprintf("h%d.example.com.", rnd.IntN(40)), Type: "A", TTL: uint32(i % 3), Data: []string{"192.0.2.1"}}
			want[r.Key()] = r
		}
		c := diffZone("example.com.", NewZoneRecords(base), want, nil)
		made := zoneChange{zone: c.zone, base: c.base, puts: c.puts, deletes: c.deletes}
		if got := made.after(); !maps.EqualFunc(got, want, RRset.SameAs) {
			t.Fatalf("the change leaves %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		if c.afterLen() != len(want) {
			t.Fatalf("afterLen %d, want %d", c.afterLen(), len(want))
		}
	}
}

// TestStoredRRsetsModel: random puts, deletes, buckets taken, settles
// and borrows give each version of the records what a map would hold,
// whatever later versions did, and changed finds exactly the Keys two
// versions differ in. The layouts take the paths of a shard changed in
// place, through an overlay, and whole.
func TestStoredRRsetsModel(t *testing.T) {
	for li, layout := range []struct {
		name     string
		shards   int
		bucketed bool
		keys     int
	}{
		{"one large shard", 1, false, 2000},
		{"default shards", defaultShards, false, 3000},
		{"buckets", 16, true, 3000},
	} {
		t.Run(layout.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(5, uint64(li)))
			key := func() string { return fmt.Sprintf("h%d.example.com. A", rnd.IntN(layout.keys)) }
			type version struct {
				s     *storedRRsets
				model map[string]uint32
			}
			s := newStoredRRsets(layout.shards, layout.bucketed)
			model := map[string]uint32{}
			var versions []version
			for step := uint32(1); step <= 6000; step++ {
				switch op := rnd.IntN(100); {
				case op < 55:
					k := key()
					s.put(k, storedRRset{ttl: step})
					model[k] = step
				case op < 85:
					k := key()
					s.del(k)
					delete(model, k)
				case op < 90:
					// A bucket as the watch delivers it: of 16, its
					// Keys each put (not bucketed) or its shard whole.
					b := rnd.IntN(16)
					decoded := map[string]RRset{}
					for range rnd.IntN(200) {
						if k := key(); bucketOf(k, 16) == b {
							decoded[k] = RRset{}
						}
					}
					was := maps.Clone(model)
					if layout.bucketed {
						for k := range model {
							if bucketOf(k, 16) == b {
								delete(model, k)
							}
						}
					}
					s.takeBucket(b, decoded, func(k string, _ RRset, old storedRRset, held bool) storedRRset {
						if ttl, ok := was[k]; ok != held || (held && old.ttl != ttl) {
							t.Fatalf("step %d: %s given as held %v, TTL %d; want %v, %d", step, k, held, old.ttl, ok, ttl)
						}
						return storedRRset{ttl: step}
					})
					for k := range decoded {
						model[k] = step
					}
				case op < 93:
					s.settle()
					checkSettled(t, s)
				default:
					versions = append(versions, version{s, maps.Clone(model)})
					s = s.borrow()
				}
				if s.len() != len(model) {
					t.Fatalf("step %d: len %d, want %d", step, s.len(), len(model))
				}
			}
			versions = append(versions, version{s, model})
			for i, v := range versions {
				if got := collect(v.s); !maps.Equal(got, v.model) {
					t.Fatalf("version %d of %d holds %d RRsets, not the %d it was left with", i, len(versions), len(got), len(v.model))
				}
				for j := range layout.keys {
					k := fmt.Sprintf("h%d.example.com. A", j)
					r, ok := v.s.get(k)
					if ttl, want := v.model[k]; ok != want || r.ttl != ttl {
						t.Fatalf("version %d: %s is %v, TTL %d; want %v, %d", i, k, ok, r.ttl, want, ttl)
					}
				}
				if v.s.len() != len(v.model) {
					t.Fatalf("version %d: len %d, want %d", i, v.s.len(), len(v.model))
				}
				if i == 0 {
					continue
				}
				prev := versions[i-1]
				var want []string
				for k, ttl := range v.model {
					if p, ok := prev.model[k]; !ok || p != ttl {
						want = append(want, k)
					}
				}
				for k := range prev.model {
					if _, ok := v.model[k]; !ok {
						want = append(want, k)
					}
				}
				got, ok := v.s.changed(prev.s, len(want))
				slices.Sort(got)
				slices.Sort(want)
				if !ok || !slices.Equal(got, want) {
					t.Fatalf("version %d: changed %d Keys (%v), want %d", i, len(got), ok, len(want))
				}
				if len(want) > 0 {
					if _, ok := v.s.changed(prev.s, len(want)-1); ok {
						t.Errorf("version %d: %d changes under a limit of %d", i, len(want), len(want)-1)
					}
				}
			}
			for _, v := range versions {
				v.s.settle()
				checkSettled(t, v.s)
				if got := collect(v.s); !maps.Equal(got, v.model) {
					t.Fatal("a version settled holds other RRsets")
				}
			}
		})
	}
}

// TestChangedSkipsShared: changed does not look into a shard the two
// records share. Each shared shard is reversed in place, in memory both
// hold (which no writer does): compared Key by Key, its Keys would not
// be found and would be said changed.
func TestChangedSkipsShared(t *testing.T) {
	before := newStoredRRsets(defaultShards, false)
	for i := range 5000 {
		before.put(fmt.Sprintf("h%d.example.com. A", i), storedRRset{ttl: 1})
	}
	after := before.borrow()
	const k = "h1.example.com. A"
	after.put(k, storedRRset{ttl: 2})
	for i := range before.shards {
		if i != before.shardOf(k) {
			slices.Reverse(before.shards[i])
		}
	}
	if got, ok := after.changed(before, 10); !ok || !slices.Equal(got, []string{k}) {
		t.Errorf("changed %v, %v; want %s alone", got, ok, k)
	}
	// The same shards, not shared: each is looked into.
	copied := newStoredRRsets(defaultShards, false)
	for i := range after.shards {
		copied.shards[i] = slices.Clone(after.shards[i])
	}
	copied.n = after.n
	if got, ok := copied.changed(before, 10); ok || len(got) != 0 {
		t.Errorf("shards not shared but reversed: changed %d Keys, %v; want more than 10", len(got), ok)
	}
}

// TestOneKeyLayoutSettled: a zone stored one RRset a key (by an earlier
// gtmd), read in no order into a pending generation and made the zone's
// by its head, then changed by a batch of deletes and puts, is held in
// sorted shards of exactly their size once the state is settled, the
// earlier state untouched.
func TestOneKeyLayoutSettled(t *testing.T) {
	const n = 20_000 // over inPlaceMax a shard: the overlays are used
	s := &Store{pending: pendingGens{}, log: slog.New(slog.DiscardHandler)}
	rnd := rand.New(rand.NewPCG(7, 8))
	put := func(st *State, i int) {
		r := aRRset(i)
		v, _ := json.Marshal(r)
		if err := s.applyZonePut(st, "example.com. rr g "+r.Key(), &mvccpb.KeyValue{Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	st := newState()
	for _, i := range rnd.Perm(n) {
		put(st, i)
	}
	if err := s.applyZonePut(st, "example.com. head", &mvccpb.KeyValue{Value: []byte(headValue("g")), ModRevision: 2}); err != nil {
		t.Fatal(err)
	}
	st.settleZones()
	z := st.Zones["example.com."]
	checkSettled(t, z.sets)
	for i, sh := range z.sets.shards {
		if cap(sh) != len(sh) {
			t.Errorf("shard %d: room for %d, holds %d", i, cap(sh), len(sh))
		}
	}
	if z.Len() != n {
		t.Fatalf("%d RRsets, want %d", z.Len(), n)
	}
	before := collect(z.sets)

	next := st.clone()
	for i := range n / 2 {
		s.applyZoneDelete(next, "example.com. rr g "+aRRset(2*i).Key())
	}
	for i := n; i < n+n/4; i++ {
		put(next, i)
	}
	next.settleZones()
	next.owned = nil
	checkSettled(t, next.Zones["example.com."].sets)
	if got := next.Zones["example.com."].Len(); got != n/2+n/4 {
		t.Errorf("after the batch: %d RRsets, want %d", got, n/2+n/4)
	}
	if r, ok := next.Zones["example.com."].Lookup(aRRset(n + 1).Key()); !ok || r.TTL != 300 {
		t.Errorf("an RRset put in the batch: %v, %+v", ok, r)
	}
	if got := collect(z.sets); !maps.Equal(got, before) || z.Len() != n {
		t.Errorf("the earlier state changed: %d RRsets, want %d", len(got), n)
	}
}

// TestShardsOf: records built whole hold each Key once, its last value,
// in sorted shards of exactly their size; so do records unbucketed.
func TestShardsOf(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	var order []string
	model := map[string]uint32{}
	for seq := range 20_000 {
		k := fmt.Sprintf("h%d.example.com. A", rnd.IntN(8000))
		order = append(order, k)
		model[k] = uint32(seq)
	}
	s := newStoredRRsets(defaultShards, false)
	s.shards, s.n = shardsOf(defaultShards, len(order), func(yield func(string, storedRRset) bool) {
		for seq, k := range order {
			if !yield(k, storedRRset{ttl: uint32(seq)}) {
				return
			}
		}
	})
	check := func(what string, s *storedRRsets) {
		t.Helper()
		checkSettled(t, s)
		for i, sh := range s.shards {
			if cap(sh) != len(sh) {
				t.Errorf("%s: shard %d has room for %d, holds %d", what, i, cap(sh), len(sh))
			}
		}
		if got := collect(s); !maps.Equal(got, model) {
			t.Errorf("%s: %d RRsets, want the last value of each of %d Keys", what, len(got), len(model))
		}
	}
	check("built whole", s)
	b := newStoredRRsets(16, true)
	for k, r := range s.all {
		b.put(k, r)
	}
	u, mixed := b.forKey(zoneKey{zone: "example.com.", gen: "g", set: "x.example.com. A"})
	if !mixed || u.bucketed {
		t.Fatalf("one RRset a key into records in buckets: mixed %v, bucketed %v", mixed, u.bucketed)
	}
	check("unbucketed", u)
}
