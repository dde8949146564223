package dnssec

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

func benchSigner(b *testing.B, alg uint8) *ZoneSigner {
	s := testSettings(alg, false)
	ks, err := NewKeySet("example.test.", s, testKEK(1), testRand(alg), t0)
	if err != nil {
		b.Fatal(err)
	}
	z, err := ks.Signer(testKEK(1), s, (&clock{t0}).now, nil)
	if err != nil {
		b.Fatal(err)
	}
	return z
}

// BenchmarkSignHit is a service answer (two A records) whose signature is
// cached: the cost every signed answer after the first pays.
func BenchmarkSignHit(b *testing.B) {
	for _, alg := range []uint8{ECDSAP256SHA256, ED25519} {
		b.Run(AlgorithmName(alg), func(b *testing.B) {
			z := benchSigner(b, alg)
			rrset := rrs(b, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.2")
			if _, err := z.Sign(rrset); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := z.Sign(rrset); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
	b.Run("txt", func(b *testing.B) {
		z := benchSigner(b, ECDSAP256SHA256)
		rrset := rrs(b, `example.test. 300 IN TXT "v=spf1 -all"`)
		z.Sign(rrset)
		b.ReportAllocs()
		for b.Loop() {
			z.Sign(rrset)
		}
	})
}

// BenchmarkSignMiss signs a new RRset every time: the first answer of each
// kind, or a cold start.
func BenchmarkSignMiss(b *testing.B) {
	for _, alg := range []uint8{ECDSAP256SHA256, ED25519} {
		b.Run(AlgorithmName(alg), func(b *testing.B) {
			z := benchSigner(b, alg)
			sets := make([][]dns.RR, 4096)
			for i := range sets {
				sets[i] = rrs(b, fmt.Sprintf("s%d.example.test. 60 IN A 192.0.2.1", i))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// A cache of one entry per set would turn later rounds
				// into hits; clear it so every call signs.
				if i%len(sets) == 0 {
					z.cache = newSigCache(len(sets))
				}
				if _, err := z.Sign(sets[i%len(sets)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkNewKeySet(b *testing.B) {
	for _, alg := range []uint8{ECDSAP256SHA256, ED25519} {
		b.Run(AlgorithmName(alg), func(b *testing.B) {
			s := Settings{Algorithm: alg}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewKeySet("example.test.", s, testKEK(1), rand.Reader, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNextName is the next name of a compact-denial NSEC: a usual
// name (the \000 label prepended) and names of 254 and 255 octets, which
// are packed and worked on the wire.
func BenchmarkNextName(b *testing.B) {
	for _, n := range []int{30, 254, 255} {
		name, ok := nameOfLength("host", n)
		if !ok {
			b.Fatalf("no name of %d octets", n)
		}
		b.Run(fmt.Sprintf("%d octets", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if NextName(name) == name {
					b.Fatal("no successor")
				}
			}
		})
	}
}
