package resolver_test

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// UDP over loopback, one server socket, a client keeping 64 queries in
// flight; the client's own cost is in every figure alike:
//
//	go test -run=^$ -bench=UDP -benchmem ./pkg/resolver
//
// miekg: the dns.Server per socket this package used before (a goroutine
// and two system calls per datagram); batch: the batched readers, through
// the handler (the full miekg/dns unpack and pack) and through a trivial
// PacketAnswerer (the I/O loop alone).

const benchWindow = 64

func BenchmarkUDP(b *testing.B) {
	h := newHandler(testSnapshot(b))
	q := packQuery(b, 1, "host.example.test.", dns.TypeA, false)
	servers := []struct {
		name string
		addr func(b *testing.B) string
	}{
		{"miekg/handler", func(b *testing.B) string { return startMiekgUDP(b, h, "127.0.0.1:0") }},
		{"batch/handler", func(b *testing.B) string {
			return startServer(b, h, func(o *resolver.ServerOptions) { o.UDPListeners = 1 }).Addrs()[0]
		}},
		{"miekg/echo", func(b *testing.B) string { return startMiekgUDP(b, &echoAnswerer{}, "127.0.0.1:0") }},
		{"batch/echo", func(b *testing.B) string {
			return startServer(b, &echoAnswerer{}, func(o *resolver.ServerOptions) { o.UDPListeners = 1 }).Addrs()[0]
		}},
	}
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			addr := s.addr(b)
			pump(b, addr, q, benchWindow, benchWindow) // warm up
			b.ReportAllocs()
			before := cpuTime(b)
			b.ResetTimer()
			_, resent := pump(b, addr, q, b.N, benchWindow)
			b.StopTimer()
			b.ReportMetric(float64(resent)/float64(b.N), "resent/op")
			b.ReportMetric(float64((cpuTime(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
