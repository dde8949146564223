package resolver

import (
	"net/netip"
	"slices"
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
