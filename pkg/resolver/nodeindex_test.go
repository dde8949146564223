package resolver

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"unsafe"

	"github.com/miekg/dns"
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
		x.set(&node{name: name(i)})
	}
	x.set(&node{name: name(0), children: 1}) // replaced, not added
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
	c.set(&node{name: added})
	c.set(&node{name: changed, children: 7})
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

// TestNodeTableMatchesMap runs random sets, replacements and removals on
// a table beside a map that says what it must hold, with hashes that
// collide on purpose (few homes, few tags), so that probes run long,
// wrap round the table's end and cross removals' gaps.
func TestNodeTableMatchesMap(t *testing.T) {
	hashes := map[string]func(string) uint64{
		"colliding": func(s string) uint64 {
			var h uint64
			for i := 0; i < len(s); i++ {
				h = h*31 + uint64(s[i])
			}
			// Two tags and a handful of homes in any table.
			return (h%2)<<57 | (h%5)<<45 | h%7<<16
		},
		"ending": func(s string) uint64 {
			// Every name probes from the last slot, so each probe wraps.
			return uint64(len(s)%2)<<57 | 0xffffffff<<16
		},
	}
	for hname, hash := range hashes {
		t.Run(hname, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, 2))
			tab := newNodeTable(0)
			want := map[string]*node{}
			for step := range 20_000 {
				name := fmt.Sprintf("n%d.test.", rnd.IntN(300))
				switch rnd.IntN(3) {
				case 0, 1:
					n := &node{name: name, children: int32(step)}
					tab.set(hash(name), n, hash)
					want[name] = n
				case 2:
					tab.remove(hash(name), name, hash)
					delete(want, name)
				}
				if tab.n != len(want) {
					t.Fatalf("step %d: table holds %d, want %d", step, tab.n, len(want))
				}
				if step%97 == 0 || step > 19_900 {
					for i := range 300 {
						name := fmt.Sprintf("n%d.test.", i)
						if got := tab.find(hash(name), name); got != want[name] {
							t.Fatalf("step %d: find(%s) = %v, want %v", step, name, got, want[name])
						}
					}
					held := 0
					for i, n := range tab.nodes {
						if (n == nil) != (tab.tags[i] == 0) {
							t.Fatalf("step %d: slot %d: node %v with tag %#x", step, i, n, tab.tags[i])
						}
						if n != nil {
							held++
						}
					}
					if held != tab.n || tab.n*5 > len(tab.tags)*4 {
						t.Fatalf("step %d: %d slots filled, n %d, %d slots", step, held, tab.n, len(tab.tags))
					}
				}
			}
			c := tab.clone()
			c.set(hash("new.test."), &node{name: "new.test."}, hash)
			if tab.find(hash("new.test."), "new.test.") != nil {
				t.Error("a set on a clone changed the original")
			}
		})
	}
}

// TestNodeSize holds a node to the size a million-name zone was measured
// with: a node and its one RRset in 80 bytes (one allocation).
func TestNodeSize(t *testing.T) {
	if s := unsafe.Sizeof(node{}); s > 56 {
		t.Errorf("a node is %d bytes, want at most 56", s)
	}
	if s := unsafe.Sizeof(rrset{}); s > 24 {
		t.Errorf("an RRset is %d bytes, want at most 24", s)
	}
	if s := unsafe.Sizeof(nodeWithSet{}); s > 80 {
		t.Errorf("a node with its RRset is %d bytes, want at most 80", s)
	}
	a := &dns.A{Hdr: dns.RR_Header{Name: "a.test.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1).To4()}
	n := newNodeWithSet("a.test.", newRRset(dns.TypeA, []dns.RR{a}))
	n.add(rrset{rrtype: 28})
	n.add(rrset{rrtype: 16})
	set := n.lookup(dns.TypeA)
	if got := set.records(n.name); !set.wire || len(got) != 1 || got[0].String() != a.String() || got[0] == dns.RR(a) {
		t.Errorf("the A RRset holds %v (packed: %v), want a copy of [%v], packed", got, set.wire, a)
	}
	var types []uint16
	for _, set := range n.sets() {
		types = append(types, set.rrtype)
	}
	if fmt.Sprint(types) != "[1 16 28]" {
		t.Errorf("RRsets added to a node made with one: types %v, want [1 16 28]", types)
	}
}

// shardOf is the shard of name.
func (x *nodeIndex) shardOf(name string) int { return x.shardOfHash(x.hash(name)) }
