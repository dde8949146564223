package node

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// benchNode is a node, not started, serving issue 12's shape: failover
// services of two endpoints with an http check each, quorum 1 so one
// node's result moves an endpoint, and 20 nodes with a result for every
// check.
func benchNode(b *testing.B, checks int) (*Node, []string) {
	b.Helper()
	var src strings.Builder
	src.WriteString("zones:\n  - {name: example., soa: {mname: ns1.example., rname: hostmaster.example.}, ns: [ns1.example.], records: [{name: ns1, type: A, data: [192.0.2.53]}]}\nservices:\n")
	var names []string
	for i := range checks / 2 {
		fmt.Fprintf(&src, "  - name: s%d.example.\n    policy: failover\n    endpoints:\n", i)
		for j := range 2 {
			fmt.Fprintf(&src, "      - {id: e%d, priority: %d, a: [192.0.2.%d], check: c%d-%d}\n", j, j+1, j+1, i, j)
			names = append(names, fmt.Sprintf("c%d-%d", i, j))
		}
	}
	src.WriteString("checks:\n")
	for _, c := range names {
		fmt.Fprintf(&src, "  - {name: %s, type: http, url: \"http://127.0.0.1:1/\"}\n", c)
	}
	src.WriteString("settings: {health_quorum: 1}\n")
	t, err := config.ParseTraffic("bench.yaml", []byte(src.String()), "")
	if err != nil {
		b.Fatal(err)
	}
	base, err := resolver.Build(t, 1)
	if err != nil {
		b.Fatal(err)
	}
	c := config.DefaultNode()
	c.Node.ID, c.Node.Region = "self", "bench"
	c.DNS.Listen, c.Admin.Listen = nil, ""
	n, err := New(Options{Config: &c})
	if err != nil {
		b.Fatal(err)
	}
	// Start would make the scheduler; Shutdown closes it.
	n.sched = health.NewScheduler(health.Options{})
	b.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	n.mu.Lock()
	defer n.mu.Unlock()
	n.serveLocked(t, nil, 1, nil, base)
	n.publishLocked()
	up := make(map[string]health.Observation, len(names))
	for _, c := range names {
		up[c] = health.Observation{Status: health.Up}
	}
	for i := range 20 {
		n.eval.SetNode(fmt.Sprintf("node%02d", i), up)
	}
	n.publishLocked()
	return n, names
}

// BenchmarkPublish is what the run loop pays per wake-up: one result
// moving an endpoint, 1,000 at once (one swap), and everything published
// whole, which is what every change cost before health.Evaluator.
func BenchmarkPublish(b *testing.B) {
	for _, size := range []int{2000, 10000} {
		n, names := benchNode(b, size)
		flip := func(i int) {
			st := health.Down
			if (i/len(names))%2 == 1 {
				st = health.Up
			}
			n.eval.SetObservation("node00", names[i%len(names)], st)
		}
		for _, burst := range []int{1, 1000} {
			b.Run(fmt.Sprintf("checks=%d/nodes=20/changes=%d", size, burst), func(b *testing.B) {
				i, swaps := 0, 0
				b.ReportAllocs()
				for b.Loop() {
					n.mu.Lock()
					before := n.published
					for range burst {
						flip(i)
						i++
					}
					n.publishLocked()
					if n.published != before {
						swaps++
					}
					n.mu.Unlock()
				}
				b.ReportMetric(float64(swaps)/float64(b.N), "swaps/op")
			})
		}
		b.Run(fmt.Sprintf("checks=%d/nodes=20/whole", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n.mu.Lock()
				n.publishedBase = nil
				n.publishLocked()
				n.mu.Unlock()
			}
		})
	}
}
