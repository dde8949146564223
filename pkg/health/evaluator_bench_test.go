package health_test

import (
	"fmt"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// benchNodes is the cluster size of the issue 12 benchmarks.
const benchNodes = 20

// benchInputs is issue 12's shape: failover services of two endpoints,
// an http check per endpoint, every node with a result for every check.
func benchInputs(checks int) (health.Inputs, []string, []string) {
	doc := &config.Traffic{Settings: config.Settings{HealthQuorum: 0.5}}
	for i := range checks / 2 {
		svc := config.Service{Name: fmt.Sprintf("s%d.example.", i)}
		for j := range 2 {
			c := fmt.Sprintf("c%d-%d", i, j)
			doc.Checks = append(doc.Checks, config.Check{Name: c, Type: config.CheckHTTP})
			svc.Endpoints = append(svc.Endpoints, config.Endpoint{ID: fmt.Sprintf("e%d", j), Check: c})
		}
		doc.Services = append(doc.Services, svc)
	}
	names := make([]string, len(doc.Checks))
	for i, c := range doc.Checks {
		names[i] = c.Name
	}
	nodes := make([]string, benchNodes)
	obs := map[string]map[string]health.Observation{}
	for n := range nodes {
		nodes[n] = fmt.Sprintf("node%02d", n)
		m := make(map[string]health.Observation, len(names))
		for _, c := range names {
			m[c] = health.Observation{Status: health.Up, At: evalNow}
		}
		obs[nodes[n]] = m
	}
	return health.Inputs{Traffic: doc, Observations: obs, Now: evalNow}, nodes, names
}

var benchSizes = []int{2000, 10000}

// BenchmarkEvaluateFull is the whole rule, what every change cost before
// the Evaluator.
func BenchmarkEvaluateFull(b *testing.B) {
	for _, n := range benchSizes {
		in, _, _ := benchInputs(n)
		b.Run(fmt.Sprintf("checks=%d/nodes=%d", n, benchNodes), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				health.Evaluate(in)
			}
		})
	}
}

// BenchmarkEvaluatorBuild is the cost of a new document (or a store read
// whole again): the only time the Evaluator pays for every check.
func BenchmarkEvaluatorBuild(b *testing.B) {
	for _, n := range benchSizes {
		in, _, _ := benchInputs(n)
		b.Run(fmt.Sprintf("checks=%d/nodes=%d", n, benchNodes), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				health.NewEvaluator(in)
			}
		})
	}
}

// BenchmarkEvaluateOneChange is one node's result for one check flipping,
// each flip moving the check's verdict and its endpoint.
func BenchmarkEvaluateOneChange(b *testing.B) {
	for _, n := range benchSizes {
		in, nodes, names := benchInputs(n)
		b.Run(fmt.Sprintf("checks=%d/nodes=%d", n, benchNodes), func(b *testing.B) {
			e := health.NewEvaluator(in)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				flip(e, nodes, names, i)
				e.Changes()
				i++
			}
		})
	}
}

// BenchmarkEvaluateThousandChanges is 1,000 checks failing at once as
// one batch, then reading what changed.
func BenchmarkEvaluateThousandChanges(b *testing.B) {
	for _, n := range benchSizes {
		in, nodes, names := benchInputs(n)
		b.Run(fmt.Sprintf("checks=%d/nodes=%d", n, benchNodes), func(b *testing.B) {
			e := health.NewEvaluator(in)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				for range 1000 {
					flip(e, nodes, names, i)
					i++
				}
				if len(e.Changes()) == 0 {
					b.Fatal("1,000 flips changed no endpoint")
				}
			}
		})
	}
}

// flip sets the i-th result of the benchmark down or up again. With 20
// nodes at quorum 0.5, the eleventh node down takes the check down.
func flip(e *health.Evaluator, nodes, names []string, i int) {
	node := nodes[(i/len(names))%len(nodes)]
	st := health.Down
	if (i/(len(names)*len(nodes)))%2 == 1 {
		st = health.Up
	}
	e.SetObservation(node, names[i%len(names)], st)
}
