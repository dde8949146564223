package health_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gtmd/gtmd/pkg/health"
)

// BenchmarkMemberLeaves is what a node pays when a member leaves or
// joins and every check is sharded (2 per region, 20 nodes in 4
// regions): the vantage points of every check chosen again, and the
// evaluator told of the checks whose points moved. The choice is
// computed for every check; only the moved ones are recounted.
func BenchmarkMemberLeaves(b *testing.B) {
	const perRegion = 2
	for _, n := range benchSizes {
		in, nodes, names := benchInputs(n)
		fleet := make([]health.VantageNode, len(nodes))
		for i, id := range nodes {
			fleet[i] = health.VantageNode{ID: id, Region: fmt.Sprintf("r%d", i%4)}
		}
		without := slices.Delete(slices.Clone(fleet), 3, 4)
		choose := func(members []health.VantageNode) map[string][]string {
			f := health.NewFleet(members)
			out := make(map[string][]string, len(names))
			for _, c := range names {
				out[c] = f.Vantages(c, perRegion)
			}
			return out
		}
		in.Vantages = choose(fleet)
		b.Run(fmt.Sprintf("checks=%d/nodes=%d", n, benchNodes), func(b *testing.B) {
			e := health.NewEvaluator(in)
			cur := in.Vantages
			moved := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				members := fleet
				if i%2 == 0 {
					members = without
				}
				next := choose(members)
				for c, vs := range next {
					if !slices.Equal(vs, cur[c]) {
						e.SetVantages(c, vs)
						moved++
					}
				}
				cur = next
				e.Changes()
				i++
			}
			b.ReportMetric(float64(moved)/float64(b.N), "moved/op")
		})
	}
}

// BenchmarkVantages is one check's choice among 20 nodes in 4 regions.
func BenchmarkVantages(b *testing.B) {
	f := health.NewFleet(fleetOf(map[string]int{"us": 5, "eu": 5, "ap": 5, "sa": 5}))
	b.ReportAllocs()
	for b.Loop() {
		f.Vantages("check-1234", 2)
	}
}
