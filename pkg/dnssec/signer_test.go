package dnssec

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSignVerifies: every kind of RRset is signed by the keys its type
// calls for, and each signature verifies against the published DNSKEY
// RRset, with the inception, expiration, TTL and names the settings say.
func TestSignVerifies(t *testing.T) {
	for _, alg := range []uint8{ECDSAP256SHA256, ED25519} {
		for _, split := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s split=%v", AlgorithmName(alg), split), func(t *testing.T) {
				ks, s := newTestKeySet(t, alg, split)
				c := &clock{t0}
				z, err := ks.Signer(testKEK(1), s, c.now, nil)
				if err != nil {
					t.Fatal(err)
				}
				var keyTag, zoneTag uint16
				for _, k := range ks.Keys {
					if k.Role != RoleZSK {
						keyTag = k.Tag
					}
					if k.Role != RoleKSK {
						zoneTag = k.Tag
					}
				}
				for _, tc := range []struct {
					name  string
					rrset []dns.RR
					tag   uint16
				}{
					{"A", rrs(t, "WWW.Example.TEST. 60 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.2"), zoneTag},
					{"AAAA", rrs(t, "www.example.test. 60 IN AAAA 2001:db8::1"), zoneTag},
					{"TXT", rrs(t, `example.test. 300 IN TXT "v=spf1 -all"`), zoneTag},
					{"MX", rrs(t, "example.test. 300 IN MX 10 Mail.Example.Test."), zoneTag},
					{"SOA", rrs(t, "example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 60"), zoneTag},
					{"DS at a cut", rrs(t, "child.example.test. 300 IN DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000"), zoneTag},
					{"NSEC", []dns.RR{NXName("nope.example.test.", 60)}, zoneTag},
					{"DNSKEY", z.DNSKEYs(), keyTag},
				} {
					sigs, err := z.Sign(tc.rrset)
					if err != nil {
						t.Fatalf("%s: %v", tc.name, err)
					}
					if len(sigs) != 1 {
						t.Fatalf("%s: %d signatures, want 1", tc.name, len(sigs))
					}
					sig := sigs[0].(*dns.RRSIG)
					h := tc.rrset[0].Header()
					if sig.KeyTag != tc.tag || sig.Algorithm != alg || sig.SignerName != "example.test." ||
						sig.Hdr.Name != strings.ToLower(h.Name) || sig.Hdr.Ttl != h.Ttl || sig.OrigTtl != h.Ttl || sig.TypeCovered != h.Rrtype ||
						sig.Inception != uint32(t0.Add(-DefaultInceptionBackdate).Unix()) || sig.Expiration != uint32(t0.Add(DefaultSignatureValidity).Unix()) {
						t.Errorf("%s: %s", tc.name, sig)
					}
					if got := verifyWith(t, z.DNSKEYs(), sigs, tc.rrset, t0); !slices.Equal(got, []uint16{tc.tag}) {
						t.Errorf("%s: verified by %v, want %d", tc.name, got, tc.tag)
					}
					if got := z.KeyTags(h.Rrtype); !slices.Equal(got, []uint16{tc.tag}) {
						t.Errorf("%s: KeyTags %v, want %d", tc.name, got, tc.tag)
					}
				}
				if len(z.DNSKEYs()) != len(ks.Keys) || z.DNSKEYs()[0].Header().Ttl != s.DNSKEYTTL {
					t.Errorf("DNSKEY RRset %v", z.DNSKEYs())
				}
				if len(z.CDS()) != 0 || len(z.CDNSKEY()) != 0 {
					t.Errorf("CDS %v CDNSKEY %v with no DS change pending", z.CDS(), z.CDNSKEY())
				}
			})
		}
	}
}

// TestSignCache: the same RRset, in any order and owner case, is served
// the same signatures until they are due for refresh; anything that
// changes the RRset is signed anew.
func TestSignCache(t *testing.T) {
	ks, s := newTestKeySet(t, ED25519, false)
	c := &clock{t0}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	z, err := ks.Signer(testKEK(1), s, c.now, m)
	if err != nil {
		t.Fatal(err)
	}
	first, err := z.Sign(rrs(t, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.2"))
	if err != nil {
		t.Fatal(err)
	}
	refreshAt := t0.Add(DefaultSignatureValidity - DefaultSignatureRefresh)
	for _, tc := range []struct {
		name  string
		at    time.Time
		rrset []dns.RR
		same  bool
	}{
		{"same", t0, rrs(t, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.2"), true},
		{"other order and case", t0.Add(time.Hour), rrs(t, "WWW.example.TEST. 60 IN A 192.0.2.2", "www.EXAMPLE.test. 60 IN A 192.0.2.1"), true},
		{"just before refresh", refreshAt.Add(-time.Second), rrs(t, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.2"), true},
		{"other TTL", t0, rrs(t, "www.example.test. 30 IN A 192.0.2.1", "www.example.test. 30 IN A 192.0.2.2"), false},
		{"one address fewer", t0, rrs(t, "www.example.test. 60 IN A 192.0.2.1"), false},
		{"other address", t0, rrs(t, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.3"), false},
		{"other name", t0, rrs(t, "web.example.test. 60 IN A 192.0.2.1", "web.example.test. 60 IN A 192.0.2.2"), false},
		{"at refresh", refreshAt, rrs(t, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 60 IN A 192.0.2.2"), false},
	} {
		c.t = tc.at
		got, err := z.Sign(tc.rrset)
		if err != nil {
			t.Fatal(err)
		}
		if same := got[0] == first[0]; same != tc.same {
			t.Errorf("%s: cached %v, want %v", tc.name, same, tc.same)
		}
		if verifyWith(t, z.DNSKEYs(), got, tc.rrset, tc.at) == nil {
			t.Errorf("%s: does not verify", tc.name)
		}
	}
	// Other types: rdata packed from a copy, names compared exactly.
	c.t = t0
	for _, pair := range [][2][]dns.RR{
		{rrs(t, `example.test. 300 IN TXT "a" "b"`), rrs(t, `example.test. 300 IN TXT "a" "b"`)},
		{rrs(t, "example.test. 300 IN MX 10 a.example.test.", "example.test. 300 IN MX 20 b.example.test."), rrs(t, "example.test. 300 IN MX 20 b.example.test.", "example.test. 300 IN MX 10 a.example.test.")},
	} {
		a, _ := z.Sign(pair[0])
		b, _ := z.Sign(pair[1])
		if a[0] != b[0] {
			t.Errorf("%s: signed twice", pair[0][0])
		}
	}
	want := `
# HELP gtmd_dnssec_signature_cache_hits_total RRsets whose signatures came from the signature cache, by zone.
# TYPE gtmd_dnssec_signature_cache_hits_total counter
gtmd_dnssec_signature_cache_hits_total{zone="example.test."} 5
# HELP gtmd_dnssec_signatures_total RRSIG records made, by zone.
# TYPE gtmd_dnssec_signatures_total counter
gtmd_dnssec_signatures_total{zone="example.test."} 8
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gtmd_dnssec_signatures_total", "gtmd_dnssec_signature_cache_hits_total"); err != nil {
		t.Error(err)
	}
	if got, want := z.OldestExpiry(), t0.Add(DefaultSignatureValidity); !got.Equal(want) {
		t.Errorf("oldest expiry %s, want %s", got, want)
	}
	// Signed at refreshAt, the www entry expires later than the rest,
	// which stop counting once they are due for refresh.
	c.t = refreshAt
	if got, want := z.OldestExpiry(), refreshAt.Add(DefaultSignatureValidity); !got.Equal(want) {
		t.Errorf("oldest expiry after the others' refresh %s, want %s", got, want)
	}
}

func TestSignCacheBounded(t *testing.T) {
	ks, s := newTestKeySet(t, ED25519, false)
	s.SignatureCacheSize = 8
	z, err := ks.Signer(testKEK(1), s, (&clock{t0}).now, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := z.Sign(rrs(t, fmt.Sprintf("h%d.example.test. 60 IN A 192.0.2.%d", i, i))); err != nil {
			t.Fatal(err)
		}
		if n := z.cache.len(); n > 8 {
			t.Fatalf("cache holds %d entries, cap 8", n)
		}
	}
	if n := z.cache.len(); n != 8 {
		t.Errorf("cache holds %d entries after 100 RRsets, want 8", n)
	}
}

func TestSignRefuses(t *testing.T) {
	ks, s := newTestKeySet(t, ECDSAP256SHA256, false)
	reg := prometheus.NewRegistry()
	m, _ := NewMetrics(reg)
	z, err := ks.Signer(testKEK(1), s, (&clock{t0}).now, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rrset []dns.RR
		err   string
	}{
		{"empty", nil, "empty RRset"},
		{"nil record", []dns.RR{nil}, "record 0 is nil"},
		{"outside the zone", rrs(t, "www.example.org. 60 IN A 192.0.2.1"), "not in zone example.test."},
		{"suffix but not below", rrs(t, "www.badexample.test. 60 IN A 192.0.2.1"), "not in zone"},
		{"escaped dot", rrs(t, `www\.example.test. 60 IN A 192.0.2.1`), ""},
		{"mixed types", rrs(t, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 60 IN AAAA ::1"), "records differ"},
		{"mixed TTLs", rrs(t, "www.example.test. 60 IN A 192.0.2.1", "www.example.test. 61 IN A 192.0.2.2"), "records differ"},
		{"mixed owners", rrs(t, "www.example.test. 60 IN A 192.0.2.1", "web.example.test. 60 IN A 192.0.2.2"), "records differ"},
		{"an RRSIG", rrs(t, "www.example.test. 60 IN RRSIG A 13 3 60 20260401000000 20260301000000 1 example.test. AAAA"), "never signed"},
		{"A without address", []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "x.example.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}}}, "without an IPv4 address"},
	} {
		_, err := z.Sign(tc.rrset)
		if tc.err == "" {
			if err == nil {
				t.Errorf("%s: signed, want a refusal", tc.name)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
	if got := testutil.ToFloat64(m.failures.WithLabelValues("example.test.")); got != 10 {
		t.Errorf("failures counted %v, want 10", got)
	}
}

// TestSignConcurrently runs signers on shared RRsets from many goroutines
// (with -race, it proves Sign writes nothing it shares).
func TestSignConcurrently(t *testing.T) {
	ks, s := newTestKeySet(t, ED25519, false)
	s.SignatureCacheSize = 16
	z, err := ks.Signer(testKEK(1), s, (&clock{t0}).now, nil)
	if err != nil {
		t.Fatal(err)
	}
	sets := [][]dns.RR{
		rrs(t, "www.example.test. 60 IN A 192.0.2.1"),
		rrs(t, "www.example.test. 60 IN AAAA 2001:db8::1"),
		rrs(t, `example.test. 60 IN TXT "x"`),
		rrs(t, "example.test. 60 IN MX 10 mx.example.test."),
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				set := sets[(g+i)%len(sets)]
				if i%7 == 0 {
					set = rrs(t, fmt.Sprintf("h%d-%d.example.test. 60 IN A 192.0.2.1", g, i))
				}
				sigs, err := z.Sign(set)
				if err != nil {
					errs <- err
					return
				}
				if sigs[0].(*dns.RRSIG).Verify(z.DNSKEYs()[0].(*dns.DNSKEY), set) != nil {
					errs <- fmt.Errorf("%s: signature does not verify", set[0])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSignerFormatsWithoutKeys(t *testing.T) {
	ks, s := newTestKeySet(t, ECDSAP256SHA256, false)
	z, _ := ks.Signer(testKEK(1), s, (&clock{t0}).now, nil)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d"} {
		if out := fmt.Sprintf(verb, z); out != "dnssec.ZoneSigner(example.test.)" {
			t.Errorf("%s prints %q", verb, out)
		}
		if out := fmt.Sprintf(verb, z.keySigners[0]); strings.Contains(out, "{") || len(out) > 20 {
			t.Errorf("%s of a key prints %q", verb, out)
		}
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := NewMetrics(reg); err != nil || again.signatures != m.signatures {
		t.Fatalf("a second NewMetrics on the registry: %v (shared %v)", err, again != nil && again.signatures == m.signatures)
	}
	ks, s := newTestKeySet(t, ED25519, false)
	z, _ := ks.Signer(testKEK(1), s, (&clock{t0}).now, m)
	z.Sign(rrs(t, "www.example.test. 60 IN A 192.0.2.1"))
	m.SetSigningReady("example.test.", true)
	m.ObserveExpiry(z, t0.Add(24*time.Hour))
	if got := testutil.ToFloat64(m.expiry.WithLabelValues("example.test.")); got != (DefaultSignatureValidity - 24*time.Hour).Seconds() {
		t.Errorf("expiry gauge %v", got)
	}
	if got := testutil.ToFloat64(m.ready.WithLabelValues("example.test.")); got != 1 {
		t.Errorf("ready gauge %v", got)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	m.ForgetZone("example.test.")
	if n := testutil.CollectAndCount(reg); n != 0 {
		t.Errorf("%d series left after ForgetZone", n)
	}
	var nilM *Metrics
	nilM.SetSigningReady("x.", true)
	nilM.ObserveExpiry(z, t0)
	nilM.ForgetZone("x.")
}
