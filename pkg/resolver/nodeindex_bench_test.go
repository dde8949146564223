package resolver

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkNodeIndex looks names up in an index the size of a large
// zone's: a name held (as an answer does), a name not held (as the
// closest encloser's walk of a missing name does), and the heap the
// index itself holds per name (the nodes aside).
func BenchmarkNodeIndex(b *testing.B) {
	for _, size := range []int{1000, 1_000_000} {
		names := make([]string, size)
		nodes := make([]*node, size)
		for i := range names {
			names[i] = fmt.Sprintf("h%d.big.test.", i)
			nodes[i] = &node{name: names[i]}
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := newNodeIndex(size)
		for _, n := range nodes {
			x.set(n)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(nodes)
		perName := float64(after.HeapAlloc-before.HeapAlloc) / float64(size)
		missing := make([]string, len(names))
		for i := range missing {
			missing[i] = fmt.Sprintf("m%d.big.test.", i)
		}
		b.Run(fmt.Sprintf("%d/get", size), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if x.get(names[i%size]) == nil {
					b.Fatal("a name held is not found")
				}
			}
			b.ReportMetric(perName, "index-B/name")
		})
		b.Run(fmt.Sprintf("%d/miss", size), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if x.get(missing[i%size]) != nil {
					b.Fatal("a name not held is found")
				}
			}
		})
		runtime.KeepAlive(x)
	}
}
