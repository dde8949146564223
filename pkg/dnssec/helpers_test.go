package dnssec

import (
	"crypto/elliptic"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// testRand is a fixed random source: the same keys every run.
func testRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func testKEK(b byte) KEK {
	var k KEK
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testSettings has short TTLs so rollover times are easy to read.
func testSettings(alg uint8, split bool) Settings {
	return Settings{Algorithm: alg, SplitKeys: split, DNSKEYTTL: 300, MaxTTL: 600, NegativeTTL: 60, PropagationDelay: time.Minute, ParentDSTTL: 3600}
}

// clock is a settable time for signers.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestKeySet(t *testing.T, alg uint8, split bool) (*KeySet, Settings) {
	t.Helper()
	s := testSettings(alg, split)
	ks, err := NewKeySet("Example.Test", s, testKEK(1), testRand(alg), t0)
	if err != nil {
		t.Fatal(err)
	}
	return ks, s
}

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return rr
}

func rrs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		out = append(out, mustRR(t, l))
	}
	return out
}

// verifyWith checks that some RRSIG in sigs verifies rrset with a key of
// keys that is valid at now, and returns the tags that did.
func verifyWith(t *testing.T, keys []dns.RR, sigs []dns.RR, rrset []dns.RR, now time.Time) []uint16 {
	t.Helper()
	// A validator sees one owner spelling; miekg's Verify wants that too.
	canon := make([]dns.RR, len(rrset))
	for i, rr := range rrset {
		canon[i] = dns.Copy(rr)
		canon[i].Header().Name = dns.CanonicalName(rr.Header().Name)
	}
	rrset = canon
	var ok []uint16
	for _, s := range sigs {
		sig := s.(*dns.RRSIG)
		if !sig.ValidityPeriod(now) {
			t.Errorf("signature by %d is not valid at %s (inception %d, expiration %d)", sig.KeyTag, now, sig.Inception, sig.Expiration)
			continue
		}
		for _, k := range keys {
			dk := k.(*dns.DNSKEY)
			if dk.KeyTag() == sig.KeyTag && dk.Algorithm == sig.Algorithm && sig.Verify(dk, rrset) == nil {
				ok = append(ok, sig.KeyTag)
			}
		}
	}
	return ok
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }

func ecdsaCurve() elliptic.Curve { return elliptic.P256() }
