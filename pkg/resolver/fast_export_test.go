package resolver

import (
	"net/netip"
	"slices"
	"unsafe"
)

// NodeNames lists every owner name of s's zones, sorted, for the fast
// path's differential test, which asks each of them.
func NodeNames(s *Snapshot) []string {
	var names []string
	for _, z := range s.zones {
		for name := range z.nodes.all() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// ZoneNames lists s's zones, sorted.
func ZoneNames(s *Snapshot) []string {
	var names []string
	for name := range s.zones {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Remembered reports whether s remembers a decision of service's policy
// (by name) for client's whole address.
func Remembered(s *Snapshot, service string, client netip.Addr) bool {
	p, _ := client.Prefix(client.BitLen())
	for _, i := range s.byName[service] {
		if s.decisions.get(s.health.key(i), p) != nil {
			return true
		}
	}
	return false
}

// UnpackAll turns every packed RRset of s, a snapshot no handler has
// served yet, into its records parsed, as a snapshot held them before
// records were packed, and returns how many it turned: the reference the
// packed records are held to.
func UnpackAll(s *Snapshot) int {
	n := 0
	for _, z := range s.zones {
		for name, nd := range z.nodes.all() {
			sets := nd.sets()
			for i := range sets {
				if sets[i].wire {
					rrs := sets[i].records(name)
					sets[i] = rrset{data: unsafe.Pointer(unsafe.SliceData(rrs)), n: uint32(len(rrs)), rrtype: sets[i].rrtype, additional: sets[i].additional}
					n++
				}
			}
		}
	}
	return n
}
