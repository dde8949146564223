package resolver

import (
	"fmt"
	"testing"
)

// TestNodeIndex: a large index is split in shards; a clone holds what
// its original holds, and a change to the clone copies the one shard it
// touches, leaving the original as it was and every other shard shared.
func TestNodeIndex(t *testing.T) {
	cases := []struct {
		names      int
		wantShards int
	}{{10, 1}, {minShardedNodes, 1}, {minShardedNodes + 1, 8}, {minShardedNodes + 3*nodesPerShard, 16}, {1_000_000, 128}, {20_000_000, maxNodeShards}}
	for _, c := range cases {
		if got := nodeShards(c.names); got != c.wantShards {
			t.Errorf("an index for %d names has %d shards, want %d", c.names, got, c.wantShards)
		}
	}

	const size = minShardedNodes + 1
	x := newNodeIndex(size)
	name := func(i int) string { return fmt.Sprintf("n%d.example.test.", i) }
	for i := range size {
		x.set(name(i), &node{name: name(i)})
	}
	x.set(name(0), &node{name: name(0), children: 1}) // replaced, not added
	if x.len() != size {
		t.Fatalf("len %d, want %d", x.len(), size)
	}
	for i := range size {
		if n := x.get(name(i)); n == nil || n.name != name(i) || x.getBytes([]byte(name(i))) != n {
			t.Fatalf("get(%s) = %v", name(i), n)
		}
	}
	if x.get("nope.example.test.") != nil || x.getBytes([]byte("nope.example.test.")) != nil {
		t.Error("a missing name is found")
	}

	c := x.clone()
	added, changed, removed := "new.example.test.", name(1), name(2)
	c.set(added, &node{name: added})
	c.set(changed, &node{name: changed, children: 7})
	c.remove(removed)
	c.remove("nope.example.test.")
	if c.len() != size || x.len() != size {
		t.Errorf("len after one added and one removed: clone %d, original %d, want %d both", c.len(), x.len(), size)
	}
	if c.get(added) == nil || c.get(removed) != nil || c.get(changed).children != 7 {
		t.Error("the clone does not hold its changes")
	}
	if x.get(added) != nil || x.get(removed) == nil || x.get(changed).children != 0 {
		t.Error("a change to the clone changed the original")
	}
	touched := map[int]bool{c.shardOf(added): true, c.shardOf(changed): true, c.shardOf(removed): true}
	for i := range c.shards {
		same := fmt.Sprintf("%p", c.shards[i]) == fmt.Sprintf("%p", x.shards[i])
		if same == touched[i] {
			t.Errorf("shard %d: shared %v, touched by a change %v", i, same, touched[i])
		}
	}
	n := 0
	for name, nd := range c.all() {
		if nd.name != name {
			t.Fatalf("%s filed under %s", nd.name, name)
		}
		n++
	}
	if n != c.len() {
		t.Errorf("all yields %d names, len says %d", n, c.len())
	}
}
