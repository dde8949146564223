package dnssec

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestNextNameNearTheLimit: for owners of every wire length up to the
// 255-octet limit, the compact-denial NSEC packs and unpacks, its next
// name sorts after the owner in canonical order (RFC 4034 §6.1), and no
// name of those a client could ask for right beside the owner (the owner
// with one more or one less octet, with its last octet changed, or with
// a label added) lies between the two.
func TestNextNameNearTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first string // the owner's first labels, in wire octets, dot-separated
	}{
		{"plain", "host"},
		{"upper case", "HoSt"},
		{"last octet 0xff", "x\xff"},
		{"last octets 0xff", "x\xff\xff"},
		{"only 0xff", "\xff"},
		{"before the upper-case letters", "a@"},
		{"last octet z", "z"},
		{"dot inside", "a.b"},
		{"63 octets", strings.Repeat("m", 63)},
		{"only 0xff above a short label", "\xff.b"},
		{"0xff above a short label", "x\xff.b"},
		{"only 0xff above 0xff", "\xff.\xff"},
	} {
		for wireLen := 246; wireLen <= 255; wireLen++ {
			owner, ok := nameOfLength(tc.first, wireLen)
			if !ok {
				continue
			}
			t.Run(fmt.Sprintf("%s %d octets", tc.name, wireLen), func(t *testing.T) {
				for _, nsec := range []*dns.NSEC{NXName(owner, 60), NoData(owner, []uint16{dns.TypeA}, 60)} {
					buf := make([]byte, 1024)
					n, err := dns.PackRR(nsec, buf, 0, nil, false)
					if err != nil {
						t.Fatalf("packing the NSEC of %q (next %q): %v", owner, nsec.NextDomain, err)
					}
					rr, _, err := dns.UnpackRR(buf[:n], 0)
					if err != nil {
						t.Fatalf("unpacking the NSEC of %q (next %q): %v", owner, nsec.NextDomain, err)
					}
					next := rr.(*dns.NSEC).NextDomain
					if canonicalCompare(t, next, nsec.NextDomain) != 0 {
						t.Errorf("next name %q unpacks as %q", nsec.NextDomain, next)
					}
					if canonicalCompare(t, owner, next) >= 0 {
						t.Errorf("next name %q does not sort after %q", next, owner)
					}
					for _, c := range neighbours(owner) {
						if canonicalCompare(t, owner, c) < 0 && canonicalCompare(t, c, next) < 0 {
							t.Errorf("%q lies between %q and its next name %q", c, owner, next)
						}
					}
					if wireLen <= 253 && next != `\000.`+owner {
						t.Errorf("next name of %q is %q, want the owner under a \\000 label", owner, next)
					}
				}
			})
		}
	}
}

// nameOfLength is a name under example.test. whose first labels are
// first (dot-separated) and whose wire form is wireLen octets, in
// presentation format.
func nameOfLength(first string, wireLen int) (string, bool) {
	labels := strings.Split(first, ".")
	rest := wireLen - (1 + len(first)) - len("\x07example\x04test\x00")
	for rest > 0 {
		n := min(63, rest-1)
		if rest-(1+n) == 1 {
			n-- // leave room for a last label of one octet
		}
		if n < 1 {
			return "", false
		}
		labels = append(labels, strings.Repeat("a", n))
		rest -= 1 + n
	}
	if rest < 0 {
		return "", false
	}
	labels = append(labels, "example", "test", "")
	var wire []byte
	for _, l := range labels {
		wire = append(wire, byte(len(l)))
		wire = append(wire, l...)
	}
	name, _, err := dns.UnpackDomainName(wire, 0)
	return name, err == nil && len(wire) == wireLen
}

// neighbours are names right beside name in canonical order: its first
// label, and its parent's, with one octet more or less or with its last
// octet changed, and name under a one-octet label. Only those that are
// names (255 octets at most) are returned.
func neighbours(name string) []string {
	wire := make([]byte, 256)
	n, err := dns.PackDomainName(name, wire, 0, nil, false)
	if err != nil {
		return nil
	}
	wire = wire[:n]
	var out []string
	add := func(w []byte) {
		if s, _, err := dns.UnpackDomainName(w, 0); err == nil {
			out = append(out, s)
		}
	}
	for _, v := range []byte{0x00, 0x01, 'a'} {
		add(append([]byte{1, v}, wire...))
	}
	for w := wire; len(w) > 1; w = w[1+w[0]:] {
		first, rest := w[1:1+w[0]], w[1+w[0]:]
		var firsts [][]byte
		for _, v := range []byte{0x00, 0x01, 'A' - 1, 'A', 'Z', 'Z' + 1, 'a', 'z', 0xfe, 0xff} {
			firsts = append(firsts, append(bytes.Clone(first[:len(first)-1]), v), append(bytes.Clone(first), v))
		}
		if len(first) > 1 {
			firsts = append(firsts, first[:len(first)-1])
		}
		for _, f := range firsts {
			if len(f) <= 63 {
				add(append(append([]byte{byte(len(f))}, f...), rest...))
			}
		}
		if len(w) != len(wire) {
			break // the name's labels and its parent's
		}
	}
	return out
}

// canonicalCompare orders a and b as RFC 4034 §6.1 does: label by label
// from the right, each label lower-cased and compared as octets.
func canonicalCompare(t *testing.T, a, b string) int {
	t.Helper()
	la, lb := canonicalLabels(t, a), canonicalLabels(t, b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := bytes.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

func canonicalLabels(t *testing.T, name string) [][]byte {
	t.Helper()
	wire := make([]byte, 256)
	n, err := dns.PackDomainName(name, wire, 0, nil, false)
	if err != nil {
		t.Fatalf("%q is not a name: %v", name, err)
	}
	var labels [][]byte
	for off := 0; wire[off] != 0 && off < n; off += 1 + int(wire[off]) {
		labels = append(labels, bytes.ToLower(wire[off+1:off+1+int(wire[off])]))
	}
	return labels
}

// FuzzNextName: for any name, NextName gives a name that packs and sorts
// after it (or the name itself, for the last of all names) with none of
// the name's neighbours between, never a panic.
func FuzzNextName(f *testing.F) {
	for _, s := range []string{".", "example.test.", `x\255.example.test.`, strings.Repeat("a.", 127)} {
		f.Add(s)
	}
	if long, ok := nameOfLength("\xff.b", 255); ok {
		f.Add(long)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if _, err := dns.PackDomainName(name, make([]byte, 256), 0, nil, false); err != nil || !dns.IsFqdn(name) {
			return
		}
		next := NextName(name)
		if c := canonicalCompare(t, name, next); c > 0 || c == 0 && next != name {
			t.Errorf("NextName(%q) = %q does not sort after it", name, next)
		}
		for _, c := range neighbours(name) {
			if canonicalCompare(t, name, c) < 0 && canonicalCompare(t, c, next) < 0 {
				t.Errorf("%q lies between %q and NextName %q", c, name, next)
			}
		}
	})
}
