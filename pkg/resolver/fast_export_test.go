package resolver

import "slices"

// NodeNames lists every owner name of s's zones, sorted, for the fast
// path's differential test, which asks each of them.
func NodeNames(s *Snapshot) []string {
	var names []string
	for _, z := range s.zones {
		for name := range z.nodes {
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
