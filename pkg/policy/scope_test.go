package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// randomPins returns up to n distinct networks clustered so that many nest:
// inside 10.0.0.0/8 and 2001:db8::/32, plus a few anywhere.
func randomPins(r *rand.Rand, n int) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	var out []netip.Prefix
	for len(out) < n {
		var p netip.Prefix
		switch r.IntN(5) {
		case 0: // anywhere v4
			p = randomPrefix(r, netip.MustParsePrefix("0.0.0.0/0"), 1+r.IntN(24))
		case 1, 2:
			p = randomPrefix(r, netip.MustParsePrefix("10.0.0.0/8"), 8+r.IntN(23))
		default:
			p = randomPrefix(r, netip.MustParsePrefix("2001:db8::/32"), 32+r.IntN(40))
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// randomAddr returns an address inside p.
func randomAddr(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	a, _ := netip.AddrFromSlice(b)
	return maskInto(a, p)
}

// maskInto keeps p's leading bits and a's others.
func maskInto(a netip.Addr, p netip.Prefix) netip.Addr {
	ab, pb := a.AsSlice(), p.Addr().AsSlice()
	for i := range ab {
		keep := max(0, min(8, p.Bits()-8*i)) // bits of byte i that come from p
		m := byte(0xff << (8 - keep))
		if keep == 0 {
			m = 0
		}
		ab[i] = pb[i]&m | ab[i]&^m
	}
	out, _ := netip.AddrFromSlice(ab)
	return out
}

func randomPrefix(r *rand.Rand, within netip.Prefix, bits int) netip.Prefix {
	return netip.PrefixFrom(randomAddr(r, within), bits).Masked()
}

// assignPins gives each pin to a random endpoint of eps, or to the next
// that holds no network overlapping it (config refuses overlapping
// networks on one endpoint); a pin no endpoint can take is left out. It
// returns the pins given and the endpoint each went to.
func assignPins(r *rand.Rand, pins []netip.Prefix, eps []config.Endpoint) ([]netip.Prefix, []int) {
	var given []netip.Prefix
	var owner []int
	clashes := func(e *config.Endpoint, p netip.Prefix) bool {
		return slices.ContainsFunc(e.Networks, func(n string) bool { return netip.MustParsePrefix(n).Overlaps(p) })
	}
	for _, p := range pins {
		o := r.IntN(len(eps))
		for k := 1; k < len(eps) && clashes(&eps[o], p); k++ {
			o = (o + 1) % len(eps)
		}
		if clashes(&eps[o], p) {
			continue
		}
		given, owner = append(given, p), append(owner, o)
		eps[o].Networks = append(eps[o].Networks, p.String())
	}
	return given, owner
}

// lpm is the longest of pins containing the whole of known, by brute force.
func lpm(pins []netip.Prefix, known netip.Prefix) int {
	best := -1
	for i, p := range pins {
		if p.Bits() <= known.Bits() && p.Contains(known.Addr()) && (best < 0 || p.Bits() > pins[best].Bits()) {
			best = i
		}
	}
	return best
}

// TestScopeHolds checks, on random nested pins, health and clients, that
// every address inside the returned scope gets the same answer, that the
// scope never exceeds the known bits, and that pins match by longest prefix.
func TestScopeHolds(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for round := range 300 {
		pins := randomPins(r, 1+r.IntN(12))
		const n = 4
		eps := make([]config.Endpoint, n)
		for i := range eps {
			eps[i] = ep(fmt.Sprint("e", i), at([]*config.LatLon{atAshburn, atFrankfurt, atTokyo, atSydney}[i]))
		}
		pins, owner := assignPins(r, pins, eps)
		policy := []string{"failover", "latency", "geo"}[round%3]
		if policy == "geo" {
			eps[0].Default = true
			eps[1].Continents = []string{"OC"}
			eps[2].Countries = []string{"DE"}
			eps[3].Countries = []string{"AU"}
		}
		s := compile(t, policy, svcOpts{}, eps...)
		healthy := make([]bool, n)
		for i := range healthy {
			healthy[i] = r.IntN(3) > 0
		}
		for range 20 {
			// Clients near the pins: inside one, or anywhere in their clusters.
			var a netip.Addr
			switch r.IntN(3) {
			case 0:
				a = randomAddr(r, pins[r.IntN(len(pins))])
			case 1:
				a = randomAddr(r, netip.MustParsePrefix("10.0.0.0/8"))
			default:
				a = randomAddr(r, netip.MustParsePrefix("2001:db8::/32"))
			}
			bits := a.BitLen()
			if r.IntN(2) == 0 {
				bits = min(bits, []int{24, 56}[a.BitLen()/128])
			}
			known := netip.PrefixFrom(a, bits).Masked()
			locNet := netip.PrefixFrom(a, r.IntN(bits+1)).Masked()
			mk := func(addr netip.Addr) *Client {
				c := &Client{Addr: netip.PrefixFrom(addr, bits).Masked().Addr(), Bits: bits}
				if policy != "failover" {
					c.Loc, c.HasLoc = locGermany, true
					c.Loc.Network = locNet
				}
				return c
			}
			c := mk(a)
			got, scope := s.Select(healthy, c, nil, make([]int, 0, 8), nil)
			got = slices.Clone(got)
			if scope > bits || scope < 0 {
				t.Fatalf("scope %d outside 0..%d", scope, bits)
			}
			if m := lpm(pins, known); m >= 0 && healthy[owner[m]] && !slices.Equal(got, []int{owner[m]}) {
				t.Fatalf("client %s: got %v, want pinned %d (%s); pins %v", known, got, owner[m], pins[m], pins)
			}
			sc := netip.PrefixFrom(c.Addr, scope).Masked()
			samples := []netip.Addr{sc.Addr()}
			last := sc.Addr().AsSlice()
			for i := range last {
				last[i] = 0xff
			}
			la, _ := netip.AddrFromSlice(last)
			samples = append(samples, maskInto(la, sc))
			for range 40 {
				samples = append(samples, randomAddr(r, sc))
			}
			for _, b := range samples {
				if !b.IsValid() || b.BitLen() != a.BitLen() {
					continue
				}
				got2, _ := s.Select(healthy, mk(b), nil, make([]int, 0, 8), nil)
				if !slices.Equal(got, got2) {
					t.Fatalf("%s: client %s got %v scope %d (%s), but %s in that scope gets %v; pins %v owners %v health %v",
						policy, known, got, scope, sc, b, got2, pins, owner, healthy)
				}
			}
		}
	}
}

// TestSpans checks the flattened pin table against brute force: spans are
// sorted, contiguous, cover each family, and carry the longest pin.
func TestSpans(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for range 200 {
		prefixes := randomPins(r, 1+r.IntN(20))
		nets := make([][]string, len(prefixes))
		for i, p := range prefixes {
			nets[i] = []string{p.String()}
		}
		tbl := compilePins(nets)
		for _, fam := range []struct {
			spans  []span
			length int
		}{{tbl.v4, 32}, {tbl.v6, 128}} {
			if len(fam.spans) == 0 {
				continue
			}
			if fam.spans[0].lo != (u128{}) || fam.spans[len(fam.spans)-1].hi != leadingMask(fam.length) {
				t.Fatalf("spans do not cover the family: %v", fam.spans)
			}
			for k, sp := range fam.spans {
				if sp.hi.less(sp.lo) || k > 0 && fam.spans[k-1].hi.add(unit(fam.length)) != sp.lo {
					t.Fatalf("span %d not contiguous", k)
				}
				for _, x := range []u128{sp.lo, sp.hi} {
					want := -1
					for i, p := range tbl.list {
						if p.prefix.Addr().BitLen() == fam.length && p.contains(x) && (want < 0 || p.prefix.Bits() > tbl.list[want].prefix.Bits()) {
							want = i
						}
					}
					if int(sp.pin) != want {
						t.Fatalf("span %d labelled %d, longest pin is %d", k, sp.pin, want)
					}
				}
			}
		}
		for i, p := range tbl.list {
			want := int32(-1)
			for j, q := range tbl.list {
				if j != i && q.prefix.Bits() < p.prefix.Bits() && q.prefix.Contains(p.prefix.Addr()) &&
					(want < 0 || q.prefix.Bits() > tbl.list[want].prefix.Bits()) {
					want = int32(j)
				}
			}
			if p.parent != want {
				t.Fatalf("pin %s parent %d, want %d", p.prefix, p.parent, want)
			}
		}
	}
}
