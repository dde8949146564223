package health_test

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gtmd/gtmd/pkg/health"
)

// fleetOf makes nodes named region-i, n of them in each region given.
func fleetOf(regions map[string]int) []health.VantageNode {
	var out []health.VantageNode
	for r, n := range regions {
		for i := range n {
			out = append(out, health.VantageNode{ID: fmt.Sprintf("%s-%d", r, i), Region: r})
		}
	}
	return out
}

// perRegionCount counts the chosen ids by region prefix.
func perRegionCount(ids []string, nodes []health.VantageNode) map[string]int {
	region := map[string]string{}
	for _, n := range nodes {
		region[n.ID] = n.Region
	}
	out := map[string]int{}
	for _, id := range ids {
		out[region[id]]++
	}
	return out
}

func TestVantagesChoosesPerRegion(t *testing.T) {
	tests := []struct {
		name      string
		regions   map[string]int
		perRegion int
		want      map[string]int
	}{
		{"no sharding: every node", map[string]int{"us": 3, "eu": 2}, 0, map[string]int{"us": 3, "eu": 2}},
		{"one per region", map[string]int{"us": 3, "eu": 2, "ap": 1}, 1, map[string]int{"us": 1, "eu": 1, "ap": 1}},
		{"two per region, a region short of two", map[string]int{"us": 5, "eu": 1}, 2, map[string]int{"us": 2, "eu": 1}},
		{"more than a region has", map[string]int{"us": 2}, 16, map[string]int{"us": 2}},
		{"nodes without a region are one region", map[string]int{"": 4}, 3, map[string]int{"": 3}},
		{"no nodes", nil, 2, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes := fleetOf(tt.regions)
			got := health.Vantages("web", tt.perRegion, nodes)
			if c := perRegionCount(got, nodes); fmt.Sprint(c) != fmt.Sprint(tt.want) {
				t.Errorf("Vantages = %v: %v by region, want %v", got, c, tt.want)
			}
			if !slices.IsSorted(got) {
				t.Errorf("Vantages = %v, not sorted", got)
			}
			// Every node computes the same, whatever order it lists the
			// members in.
			rev := slices.Clone(nodes)
			slices.Reverse(rev)
			if again := health.Vantages("web", tt.perRegion, rev); !slices.Equal(again, got) {
				t.Errorf("reversed members give %v, want %v", again, got)
			}
		})
	}
}

func TestVantagesDuplicateMember(t *testing.T) {
	nodes := []health.VantageNode{{ID: "a", Region: "us"}, {ID: "a", Region: "us"}, {ID: "b", Region: "us"}}
	if got := health.Vantages("web", 2, nodes); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Vantages = %v, want a and b once each", got)
	}
	if got := health.Vantages("web", 0, nodes); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Vantages without sharding = %v, want a and b once each", got)
	}
}

// TestVantagesMoveLittle: a node leaving moves only the checks it
// probed, and the load spreads evenly over a region's nodes.
func TestVantagesMoveLittle(t *testing.T) {
	const checks, perRegion = 2000, 2
	nodes := fleetOf(map[string]int{"us": 5, "eu": 3})
	load := map[string]int{}
	before := map[string][]string{}
	for i := range checks {
		name := fmt.Sprintf("check-%d", i)
		before[name] = health.Vantages(name, perRegion, nodes)
		for _, id := range before[name] {
			load[id]++
		}
	}
	// us: 2,000 × 2 over 5 nodes = 800 each; eu: over 3 = 1,333 each.
	for id, n := range load {
		want := checks * perRegion / 5
		if id[:2] == "eu" {
			want = checks * perRegion / 3
		}
		if n < want*85/100 || n > want*115/100 {
			t.Errorf("%s probes %d checks, want about %d", id, n, want)
		}
	}

	gone := "us-2"
	rest := slices.DeleteFunc(slices.Clone(nodes), func(n health.VantageNode) bool { return n.ID == gone })
	moved := 0
	for name, was := range before {
		now := health.Vantages(name, perRegion, rest)
		if !slices.Contains(was, gone) {
			if !slices.Equal(now, was) {
				t.Fatalf("%s moved from %v to %v though %s did not probe it", name, was, now, gone)
			}
			continue
		}
		moved++
		kept := slices.DeleteFunc(slices.Clone(was), func(id string) bool { return id == gone })
		for _, id := range kept {
			if !slices.Contains(now, id) {
				t.Fatalf("%s: %s stopped probing when %s left (%v → %v)", name, id, gone, was, now)
			}
		}
		if c := perRegionCount(now, rest); c["us"] != perRegion {
			t.Fatalf("%s: %v in us after %s left, want %d", name, now, gone, perRegion)
		}
	}
	if moved != load[gone] {
		t.Errorf("%d checks moved, want the %d %s probed", moved, load[gone], gone)
	}
}

// referenceVantages is the rule written plainly: every node ranked by
// FNV-1a of check, a zero byte and its id, finished with SplitMix64;
// each region's perRegion best, ties to the lower id.
func referenceVantages(check string, perRegion int, nodes []health.VantageNode) []string {
	type ranked struct {
		node health.VantageNode
		rank uint64
	}
	var rs []ranked
	for _, n := range nodes {
		h := fnv.New64a()
		h.Write([]byte(check))
		h.Write([]byte{0})
		h.Write([]byte(n.ID))
		x := h.Sum64()
		x ^= x >> 30
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 27
		x *= 0x94d049bb133111eb
		x ^= x >> 31
		rs = append(rs, ranked{n, x})
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.node.Region, b.node.Region), cmp.Compare(b.rank, a.rank), cmp.Compare(a.node.ID, b.node.ID))
	})
	rs = slices.CompactFunc(rs, func(a, b ranked) bool { return a.node == b.node })
	var out []string
	taken := 0
	for i, r := range rs {
		if i > 0 && r.node.Region != rs[i-1].node.Region {
			taken = 0
		}
		if perRegion <= 0 || taken < perRegion {
			out = append(out, r.node.ID)
			taken++
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestFleetMatchesReference: the fast choice is the plain rule's, over
// fleets of every shape.
func TestFleetMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 0))
	for i := range 2000 {
		var nodes []health.VantageNode
		for range r.IntN(25) {
			nodes = append(nodes, health.VantageNode{ID: fmt.Sprintf("n%d", r.IntN(30)), Region: fmt.Sprintf("r%d", r.IntN(4))})
		}
		check := fmt.Sprintf("check-%d", r.IntN(1000))
		perRegion := r.IntN(6) - 1
		want := referenceVantages(check, perRegion, nodes)
		if got := health.NewFleet(nodes).Vantages(check, perRegion); !slices.Equal(got, want) {
			t.Fatalf("case %d: %s, %d per region of %v: got %v, want %v", i, check, perRegion, nodes, got, want)
		}
	}
}
