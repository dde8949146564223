package resolver_test

import (
	"net"
	"testing"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// BenchmarkServeDNSPolicy compares, in one run, a static A answer with a
// latency-policy answer located through ECS and the GeoIP database, both
// from testdata/policies.yaml, through ServeDNS. Issue 3's budget: the
// latency answer costs at most 1.5× the static one.
//
//	go test -run=^$ -bench=ServeDNSPolicy -benchmem -count=5 ./pkg/resolver
func BenchmarkServeDNSPolicy(b *testing.B) {
	s := newPolicySetup(b, true)
	de := clientIn(b, "de")
	subnet := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(de.Bits()), Address: net.IP(de.Addr().AsSlice())}
	cases := []struct {
		name    string
		q       *dns.Msg
		answers int
	}{
		{"staticA", benchQuery(b, "ns1.gtm.test.", dns.TypeA, true, nil), 1},
		{"staticAWithECS", benchQuery(b, "ns1.gtm.test.", dns.TypeA, true, subnet), 1},
		{"latencyWithECS", benchQuery(b, "latency.gtm.test.", dns.TypeA, true, subnet), 1},
		{"geoWithECS", benchQuery(b, "geo.gtm.test.", dns.TypeA, true, subnet), 1},
		{"failoverWithECS", benchQuery(b, "failover.gtm.test.", dns.TypeA, true, subnet), 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			serveOnce(b, s.handler, c.q, dns.RcodeSuccess, c.answers)
			w := &fakeWriter{remote: fakeUDPClient, discard: true}
			b.ReportAllocs()
			for b.Loop() {
				s.handler.ServeDNS(w, c.q)
			}
		})
	}
}

// BenchmarkServeDNSMetrics is the static and latency answers with the
// query metrics on, to weigh what counting costs.
//
//	go test -run=^$ -bench=ServeDNSMetrics -benchmem ./pkg/resolver
func BenchmarkServeDNSMetrics(b *testing.B) {
	m, err := resolver.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	s := newPolicySetup(b, true)
	h := resolver.NewHandler(resolver.Options{Locator: nil, Metrics: m})
	h.Swap(s.snap)
	for _, c := range []struct {
		name string
		q    *dns.Msg
	}{
		{"staticA", benchQuery(b, "ns1.gtm.test.", dns.TypeA, true, nil)},
		{"failover", benchQuery(b, "failover.gtm.test.", dns.TypeA, true, nil)},
	} {
		b.Run(c.name, func(b *testing.B) {
			serveOnce(b, h, c.q, dns.RcodeSuccess, 1)
			w := &fakeWriter{remote: fakeUDPClient, discard: true}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeDNS(w, c.q)
			}
		})
	}
}
