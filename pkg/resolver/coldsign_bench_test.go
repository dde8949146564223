package resolver_test

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/dnssec"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// BenchmarkColdSign states how long a signed zone of 1,000 services
// takes to sign every service's answer from a cold start (a node just
// started, or the keys just changed): one op is a fresh signer with an
// empty cache, then one query with DO for each service, every one a
// signature made. "warm" is the same queries once the signatures are
// made, for comparison.
//
//	go test -run='^$' -bench=ColdSign -benchmem ./pkg/resolver
func BenchmarkColdSign(b *testing.B) {
	const services = 1000
	snap := snapshotFrom(b, manyServices(services))
	wires := make([][]byte, services)
	for i := range wires {
		wires[i] = packEdited(b, fmt.Sprintf("s%d.many.test.", i), dns.TypeA, withOPT(1232, true))
	}
	src := netip.MustParseAddrPort("192.0.2.1:5353")
	for _, alg := range []uint8{dnssec.ECDSAP256SHA256, dnssec.ED25519} {
		settings := dnssec.Settings{Algorithm: alg, DNSKEYTTL: 300, MaxTTL: 300, NegativeTTL: 60}
		var kek dnssec.KEK
		ks, err := dnssec.NewKeySet("many.test.", settings, kek, rand.Reader, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		signed := func() *resolver.Handler {
			signer, err := ks.Signer(kek, settings, time.Now, nil)
			if err != nil {
				b.Fatal(err)
			}
			return newHandler(snap.WithSigning(map[string]resolver.Signing{"many.test.": {Signer: signer}}))
		}
		queryAll := func(h *resolver.Handler, out []byte) {
			for _, w := range wires {
				if resp, ok := h.AnswerPacket(w, src, out); !ok || len(resp) == 0 {
					b.Fatal("the fast path declined a signed service query")
				}
			}
		}
		name := dnssec.AlgorithmName(alg)
		b.Run(name+"/cold", func(b *testing.B) {
			out := make([]byte, 0, 65535)
			b.ReportAllocs()
			for b.Loop() {
				queryAll(signed(), out)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/1000services")
		})
		b.Run(name+"/warm", func(b *testing.B) {
			out := make([]byte, 0, 65535)
			h := signed()
			queryAll(h, out)
			b.ReportAllocs()
			for b.Loop() {
				queryAll(h, out)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/1000services")
		})
	}
}
