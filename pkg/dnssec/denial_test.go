package dnssec

import (
	"bytes"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// TestCompactDenialPacks: the NSECs of RFC 9824 survive miekg's packing:
// "\000.name" becomes a label holding one zero byte, and type 128 lands in
// window 0 of the bitmap, so a validator reads what we meant.
func TestCompactDenialPacks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nsec   *dns.NSEC
		bitmap []uint16
	}{
		{"nxname", NXName("nope.example.test.", 60), []uint16{dns.TypeRRSIG, dns.TypeNSEC, TypeNXNAME}},
		{"nodata", NoData("www.example.test.", []uint16{dns.TypeAAAA, dns.TypeA, dns.TypeA, dns.TypeTXT}, 60), []uint16{dns.TypeA, dns.TypeTXT, dns.TypeAAAA, dns.TypeRRSIG, dns.TypeNSEC}},
		{"nodata with rrsig given", NoData("example.test.", []uint16{dns.TypeNSEC, dns.TypeSOA, dns.TypeNS, dns.TypeRRSIG, dns.TypeDNSKEY}, 60), []uint16{dns.TypeNS, dns.TypeSOA, dns.TypeRRSIG, dns.TypeNSEC, dns.TypeDNSKEY}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, 512)
			n, err := dns.PackRR(tc.nsec, buf, 0, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			wire := buf[:n]
			owner := tc.nsec.Hdr.Name
			// rdata starts after owner, type, class, TTL, rdlength.
			ownerWire := make([]byte, 256)
			on, _ := dns.PackDomainName(owner, ownerWire, 0, nil, false)
			rdata := wire[on+10:]
			next := append([]byte{1, 0}, ownerWire[:on]...)
			if !bytes.HasPrefix(rdata, next) {
				t.Fatalf("next name on the wire is %x, want %x", rdata[:len(next)], next)
			}
			rr, _, err := dns.UnpackRR(wire, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := rr.(*dns.NSEC)
			if got.NextDomain != `\000.`+owner {
				t.Errorf("next name unpacks as %q", got.NextDomain)
			}
			if !slices.Equal(got.TypeBitMap, tc.bitmap) {
				t.Errorf("bitmap unpacks as %v, want %v", got.TypeBitMap, tc.bitmap)
			}
			if tc.name == "nxname" {
				// Window 0, 17 octets (type 128 is bit 0 of octet 16).
				bm := rdata[len(next):]
				want := make([]byte, 19)
				want[1] = 17
				want[2+dns.TypeRRSIG/8] |= 0x80 >> (dns.TypeRRSIG % 8)
				want[2+dns.TypeNSEC/8] |= 0x80 >> (dns.TypeNSEC % 8)
				want[2+16] = 0x80
				if !bytes.Equal(bm, want) {
					t.Errorf("bitmap on the wire is %x, want %x", bm, want)
				}
			}
		})
	}
}

// TestCompactDenialSigns: the NSECs sign and verify like any RRset.
func TestCompactDenialSigns(t *testing.T) {
	ks, s := newTestKeySet(t, ECDSAP256SHA256, false)
	c := &clock{t0}
	z, err := ks.Signer(testKEK(1), s, c.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, nsec := range []*dns.NSEC{NXName("nope.example.test.", 60), NoData("www.example.test.", []uint16{dns.TypeA}, 60)} {
		sigs, err := z.Sign([]dns.RR{nsec})
		if err != nil {
			t.Fatal(err)
		}
		if got := verifyWith(t, z.DNSKEYs(), sigs, []dns.RR{nsec}, t0); len(got) != 1 {
			t.Errorf("%s: verified by %v, want one key", nsec.Hdr.Name, got)
		}
	}
}
