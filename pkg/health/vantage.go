package health

import (
	"cmp"
	"hash/fnv"
	"slices"
)

// VantageNode is a live node that can probe checks, and the region it
// stands in.
type VantageNode struct {
	ID     string
	Region string
}

// Vantages returns the ids of the nodes that probe check when only
// perRegion nodes of each region are to probe it: in each region, the
// perRegion nodes ranking highest by a rendezvous hash of the check name
// and the node id (every node of a region with no more than perRegion;
// every node when perRegion is 0 or less). The result is sorted.
//
// The choice depends on nothing but the check name and the set of live
// nodes, so every node that sees the same members makes the same one
// without talking to the others; and when a node leaves, only the checks
// it probed move, each to one other node of its region, while a node
// that joins takes over about perRegion/(n+1) of its region's checks.
func Vantages(check string, perRegion int, nodes []VantageNode) []string {
	if perRegion <= 0 {
		ids := make([]string, 0, len(nodes))
		for _, n := range nodes {
			ids = append(ids, n.ID)
		}
		slices.Sort(ids)
		return slices.Compact(ids)
	}
	type ranked struct {
		node VantageNode
		rank uint64
	}
	rs := make([]ranked, 0, len(nodes))
	for _, n := range nodes {
		rs = append(rs, ranked{n, rendezvous(check, n.ID)})
	}
	// By region, then highest rank first (ties, which need equal ids,
	// by id), so each region's chosen nodes lead its run.
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.node.Region, b.node.Region), cmp.Compare(b.rank, a.rank), cmp.Compare(a.node.ID, b.node.ID))
	})
	var out []string
	taken := 0
	for i, r := range rs {
		if i > 0 && r.node.Region != rs[i-1].node.Region {
			taken = 0
		}
		if i > 0 && r.node == rs[i-1].node {
			continue // listed twice
		}
		if taken < perRegion {
			out = append(out, r.node.ID)
			taken++
		}
	}
	slices.Sort(out)
	return out
}

// rendezvous ranks node for check: FNV-1a of both, finished with the
// SplitMix64 mixer so that ids differing in their last byte rank apart.
func rendezvous(check, node string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(check))
	h.Write([]byte{0})
	h.Write([]byte(node))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
