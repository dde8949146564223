package health

import (
	"cmp"
	"slices"
	"strings"
)

// VantageNode is a live node that can probe checks, and the region it
// stands in.
type VantageNode struct {
	ID     string
	Region string
}

// Fleet is the live nodes grouped by region, made once per change of
// members so that choosing each check's vantage points costs a hash per
// node, with nothing sorted but the few chosen.
type Fleet struct {
	// regions holds each region's node ids, sorted and listed once.
	regions [][]string
	all     []string
}

// NewFleet groups nodes by region; a node listed twice counts once.
func NewFleet(nodes []VantageNode) *Fleet {
	sorted := slices.Clone(nodes)
	slices.SortFunc(sorted, func(a, b VantageNode) int {
		return cmp.Or(strings.Compare(a.Region, b.Region), strings.Compare(a.ID, b.ID))
	})
	sorted = slices.Compact(sorted)
	f := &Fleet{}
	for i, n := range sorted {
		if i == 0 || n.Region != sorted[i-1].Region {
			f.regions = append(f.regions, nil)
		}
		r := len(f.regions) - 1
		f.regions[r] = append(f.regions[r], n.ID)
		f.all = append(f.all, n.ID)
	}
	slices.Sort(f.all)
	f.all = slices.Compact(f.all)
	return f
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
func (f *Fleet) Vantages(check string, perRegion int) []string {
	if perRegion <= 0 {
		return slices.Clone(f.all)
	}
	type ranked struct {
		id   string
		rank uint64
	}
	seed := fnvString(fnvOffset, check)
	seed = fnvByte(seed, 0)
	var out []string
	best := make([]ranked, 0, perRegion)
	for _, ids := range f.regions {
		if len(ids) <= perRegion {
			out = append(out, ids...)
			continue
		}
		best = best[:0]
		for _, id := range ids {
			r := ranked{id, mix(fnvString(seed, id))}
			// Keep the perRegion highest, highest first; ties, which need
			// equal hashes, go to the lower id, which came first.
			i := len(best)
			for i > 0 && best[i-1].rank < r.rank {
				i--
			}
			if i < perRegion {
				if len(best) < perRegion {
					best = append(best, ranked{})
				}
				copy(best[i+1:], best[i:len(best)-1])
				best[i] = r
			}
		}
		for _, r := range best {
			out = append(out, r.id)
		}
	}
	slices.Sort(out)
	// An id in two regions (the store keys members by id, so only a
	// caller's list) is chosen once.
	return slices.Compact(out)
}

// Vantages is NewFleet(nodes).Vantages(check, perRegion), for one check.
func Vantages(check string, perRegion int, nodes []VantageNode) []string {
	return NewFleet(nodes).Vantages(check, perRegion)
}

// FNV-1a, written out so ranking a node allocates nothing.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return h
}

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

// mix finishes a rank with the SplitMix64 mixer, so that ids differing
// in their last byte rank apart.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
