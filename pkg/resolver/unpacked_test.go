package resolver

import (
	"fmt"
	"net"
	"testing"

	"github.com/miekg/dns"
)

func addressSet(tb testing.TB, rrtype uint16, n int) (rrset, []dns.RR) {
	tb.Helper()
	rrs := make([]dns.RR, n)
	for i := range rrs {
		hdr := dns.RR_Header{Name: "a.test.", Rrtype: rrtype, Class: dns.ClassINET, Ttl: 60}
		if rrtype == dns.TypeA {
			rrs[i] = &dns.A{Hdr: hdr, A: net.IPv4(10, 0, byte(i>>8), byte(i)).To4()}
		} else {
			rrs[i] = &dns.AAAA{Hdr: hdr, AAAA: net.ParseIP(fmt.Sprintf("2001:db8::%x", i))}
		}
	}
	set := newRRset(rrtype, rrs)
	if !set.wire {
		tb.Fatalf("%d records of type %d not packed", n, rrtype)
	}
	return set, rrs
}

func sameRecords(tb testing.TB, what string, got, want []dns.RR) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			tb.Fatalf("%s: record %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestUnpackedRecords: the address records a query's answer unpacks
// into its state's memory are its RRsets' records, and stay so while the
// answer is made, however many RRsets it unpacks and however the memory
// grows; after a reset they are made again in that memory, allocating
// nothing.
func TestUnpackedRecords(t *testing.T) {
	var u unpackedRecords
	a, wantA := addressSet(t, dns.TypeA, 3)
	big, wantBig := addressSet(t, dns.TypeAAAA, 40) // 640 bytes of addresses: the memory grows
	gotA := u.records(&a, "a.test.")
	gotBig := u.records(&big, "a.test.")
	gotA2 := u.records(&a, "b.test.")
	sameRecords(t, "A", gotA, wantA)
	sameRecords(t, "AAAA", gotBig, wantBig)
	if gotA2[0].Header().Name != "b.test." || gotA[0].Header().Name != "a.test." {
		t.Errorf("owners %s and %s, want a.test. and b.test.", gotA[0].Header().Name, gotA2[0].Header().Name)
	}
	if cap(gotA) != len(gotA) {
		t.Error("appending to the records would write over the next ones")
	}
	u.reset()
	sameRecords(t, "A after a reset", u.records(&a, "a.test."), wantA)
	if allocs := testing.AllocsPerRun(100, func() {
		u.reset()
		u.records(&a, "a.test.")
		u.records(&big, "a.test.")
	}); allocs != 0 {
		t.Errorf("%v allocations a query, want 0", allocs)
	}

	// An A record without an address (as an UPDATE may hold) stays
	// parsed, and other types are unpacked anew: neither is made in the
	// state's memory.
	empty := newRRset(dns.TypeA, []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "a.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}}})
	if got := u.records(&empty, "a.test."); empty.wire || len(got) != 1 || got[0].(*dns.A).A != nil {
		t.Errorf("an empty A record came back as %v", got)
	}
	txt, _ := dns.NewRR(`a.test. 60 IN TXT "hello"`)
	tset := newRRset(dns.TypeTXT, []dns.RR{txt})
	sameRecords(t, "TXT", u.records(&tset, "a.test."), []dns.RR{txt})
	var none *unpackedRecords
	sameRecords(t, "A with no state", none.records(&a, "a.test."), wantA)
}
