package cluster

import (
	"fmt"
	"testing"
)

// TestStoredRRsetsBorrow: records borrowed by a later state change
// without the earlier state seeing it, shard by shard.
func TestStoredRRsetsBorrow(t *testing.T) {
	before := newStoredRRsets()
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
	if shared < rrsetShards-3 {
		t.Errorf("%d of %d shards still shared after changes to three keys", shared, rrsetShards)
	}
}
