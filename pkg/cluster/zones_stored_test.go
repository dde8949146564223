package cluster

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStoredRRsetsBorrow: records borrowed by a later state change
// without the earlier state seeing it, shard by shard.
func TestStoredRRsetsBorrow(t *testing.T) {
	before := newStoredRRsets(defaultShards, false)
	for i := range 1000 {
		before.put(fmt.Sprintf("h%d.example.com. A", i), storedRRset{ttl: uint32(i)})
	}
	after := before.borrow()
	after.put("h1.example.com. A", storedRRset{ttl: 99999})
	after.put("new.example.com. A", storedRRset{ttl: 7})
	after.del("h2.example.com. A")
	after.del("missing.example.com. A")

	if r, _ := before.get("h1.example.com. A"); r.ttl != 1 {
		t.Errorf("the earlier records see the later change: TTL %d", r.ttl)
	}
	if _, ok := before.get("new.example.com. A"); ok {
		t.Error("the earlier records see an RRset added later")
	}
	if _, ok := before.get("h2.example.com. A"); !ok {
		t.Error("the earlier records lost an RRset deleted later")
	}
	if before.len() != 1000 || after.len() != 1000 {
		t.Errorf("len %d before, %d after; want 1000 and 1000 (one added, one deleted)", before.len(), after.len())
	}
	if r, _ := after.get("h1.example.com. A"); r.ttl != 99999 {
		t.Errorf("the change is not in the later records: TTL %d", r.ttl)
	}
	seen := 0
	for range after.all {
		seen++
	}
	if seen != after.len() {
		t.Errorf("all yields %d RRsets, len says %d", seen, after.len())
	}
	// Only the shards changed were copied.
	shared := 0
	for i := range before.shards {
		if before.shards[i] != nil && fmt.Sprintf("%p", before.shards[i]) == fmt.Sprintf("%p", after.shards[i]) {
			shared++
		}
	}
	if shared < defaultShards-3 {
		t.Errorf("%d of %d shards still shared after changes to three keys", shared, defaultShards)
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
		data := slices.Clone(r.dataOf())
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
