package config

import (
	"encoding/binary"
	"fmt"
	"iter"
	"net"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/miekg/dns"
)

// WireRRset is an RRset held compactly: its TTL, then each record's RDATA
// in wire format after its length (two bytes each, big-endian), with no
// owner, type or class, which whoever holds it knows. Names inside the
// RDATA are written whole, never compressed.
//
// A zone of a million records holds a million of these. A parsed A
// record costs about 85 bytes (its struct, its address and its slot in a
// slice of interfaces); the same record here is 10 bytes, and it is
// parsed again (RRs) only when an answer, a transfer or a signature
// needs it.
type WireRRset string

// wireTTLLen is the length of a WireRRset's TTL, before its records.
const wireTTLLen = 4

// PackRRset returns rrs as a WireRRset, or false when they are not one
// RRset that the compact form holds: none, of more than one owner, type,
// class or TTL, a class other than IN, or a record whose wire format
// does not unpack to itself (packed again, the same bytes). asWritten
// reports whether the records it unpacks to print as rrs do (RData):
// an escape in a text, or hex in upper case (a DS digest), comes back
// written otherwise, so a holder of their text keeps it. Packing sets
// each record's Rdlength, as dns.PackRR does.
func PackRRset(rrs []dns.RR) (w WireRRset, asWritten, ok bool) {
	if len(rrs) == 0 {
		return "", false, false
	}
	h0 := rrs[0].Header()
	if h0.Class != dns.ClassINET {
		return "", false, false
	}
	out := make([]byte, wireTTLLen, wireTTLLen+len(rrs)*8)
	binary.BigEndian.PutUint32(out, h0.Ttl)
	asWritten = true
	nameLen := -1
	var msg []byte
	for _, rr := range rrs {
		h := rr.Header()
		if h.Name != h0.Name || h.Rrtype != h0.Rrtype || h.Class != h0.Class || h.Ttl != h0.Ttl {
			return "", false, false
		}
		switch addr := addressOf(rr); {
		case addr != nil:
			// Most of a large zone: its RDATA is the address.
			out = binary.BigEndian.AppendUint16(out, uint16(len(addr)))
			out = append(out, addr...)
			continue
		case h.Rrtype == dns.TypeA || h.Rrtype == dns.TypeAAAA:
			// No address, or one of the other family, which packing
			// would not write whole.
			return "", false, false
		}
		if nameLen < 0 {
			var err error
			if nameLen, err = packedNameLen(h0.Name); err != nil {
				return "", false, false
			}
		}
		if n := dns.Len(rr) + 1; cap(msg) < n {
			msg = make([]byte, n)
		}
		msg = msg[:cap(msg)]
		end, err := dns.PackRR(rr, msg, 0, nil, false)
		if err != nil {
			return "", false, false
		}
		rdata := msg[nameLen+10 : end]
		if binary.BigEndian.Uint16(msg[nameLen+8:]) != uint16(len(rdata)) {
			return "", false, false
		}
		if !plainRdata(rr) {
			stable, same := comesBack(rr, rdata, nameLen)
			if !stable {
				return "", false, false
			}
			asWritten = asWritten && same
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(rdata)))
		out = append(out, rdata...)
	}
	return WireRRset(unsafe.String(unsafe.SliceData(out), len(out))), asWritten, true
}

// addressOf returns the RDATA of an A or AAAA record as packing writes
// it, or nil for any other record.
func addressOf(rr dns.RR) []byte {
	switch rr := rr.(type) {
	case *dns.A:
		if ip := rr.A.To4(); ip != nil {
			return ip
		}
	case *dns.AAAA:
		if len(rr.AAAA) == 16 {
			return rr.AAAA
		}
	}
	return nil
}

// plainRdata reports whether rr is one of the common records whose trip
// through wire format is known to give it back as it was: a name or text
// of plain characters (an escape or an unusual byte may come back
// written otherwise), so that it need not be unpacked to be checked.
// Addresses are packed before it is asked (addressOf).
func plainRdata(rr dns.RR) bool {
	switch rr := rr.(type) {
	case *dns.CNAME:
		return plainName(rr.Target)
	case *dns.NS:
		return plainName(rr.Ns)
	case *dns.PTR:
		return plainName(rr.Ptr)
	case *dns.MX:
		return plainName(rr.Mx)
	case *dns.SRV:
		return plainName(rr.Target)
	case *dns.TXT:
		for _, t := range rr.Txt {
			if !plainText(t) {
				return false
			}
		}
		return true
	}
	return false
}

// plainText reports whether a character-string holds printable ASCII
// alone, none of it a quote or an escape.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// comesBack reports whether rdata, packed from rr (whose owner is
// nameLen bytes packed), unpacks to a record that packs to the same bytes
// (stable), and whether that record prints as rr does (same).
func comesBack(rr dns.RR, rdata []byte, nameLen int) (stable, same bool) {
	h := *rr.Header()
	h.Rdlength = uint16(len(rdata))
	back, _, err := dns.UnpackRRWithHeader(h, rdata, 0)
	if err != nil {
		return false, false
	}
	again := make([]byte, dns.Len(back)+len(rdata)+1)
	end, err := dns.PackRR(back, again, 0, nil, false)
	if err != nil || end < nameLen+10 || string(again[nameLen+10:end]) != string(rdata) {
		return false, false
	}
	return true, back.String() == rr.String()
}

// packedNameLen is the length of name in uncompressed wire format.
func packedNameLen(name string) (int, error) {
	var buf [256]byte
	n, err := dns.PackDomainName(name, buf[:], 0, nil, false)
	if err != nil {
		return 0, fmt.Errorf("packing owner %q: %w", name, err)
	}
	return n, nil
}

// TTL is the records' TTL.
func (w WireRRset) TTL() uint32 {
	if len(w) < wireTTLLen {
		return 0
	}
	return uint32(w[0])<<24 | uint32(w[1])<<16 | uint32(w[2])<<8 | uint32(w[3])
}

// Rdata yields the RDATA of each of w's records in order, and stops at
// a record cut short, which Check reports.
func (w WireRRset) Rdata() iter.Seq[string] {
	return func(yield func(string) bool) {
		for off := wireTTLLen; off+2 <= len(w); {
			end := off + 2 + (int(w[off])<<8 | int(w[off+1]))
			if end > len(w) || !yield(string(w[off+2:end])) {
				return
			}
			off = end
		}
	}
}

// Len is how many records w holds.
func (w WireRRset) Len() int {
	n := 0
	for range w.Rdata() {
		n++
	}
	return n
}

// Check reports whether w is laid out as PackRRset lays out an RRset of
// rrtype: a TTL, then records whose lengths add up to the rest, each an
// address of the type's size for A and AAAA. It reads no RDATA beyond
// that: what RRs unpacks it checks.
func (w WireRRset) Check(rrtype uint16) error {
	if len(w) < wireTTLLen+2 {
		return fmt.Errorf("packed %s records: %d bytes, too short for a TTL and a record", TypeName(rrtype), len(w))
	}
	size := AddressLen(rrtype)
	n, off := 0, wireTTLLen
	for rdata := range w.Rdata() {
		n++
		if size != 0 && len(rdata) != size {
			return fmt.Errorf("packed %s records: record %d is %d bytes, not an address", TypeName(rrtype), n, len(rdata))
		}
		off += 2 + len(rdata)
	}
	if off != len(w) {
		return fmt.Errorf("packed %s records: record %d cut short", TypeName(rrtype), n+1)
	}
	return nil
}

// AddressLen is the length of the RDATA of rrtype when it is an address
// (4 for A, 16 for AAAA), else 0.
func AddressLen(rrtype uint16) int {
	switch rrtype {
	case dns.TypeA:
		return net.IPv4len
	case dns.TypeAAAA:
		return net.IPv6len
	}
	return 0
}

// RRs returns w's records with owner as their name and rrtype as their
// type, in the order they were packed: new records each time, which the
// caller may change.
func (w WireRRset) RRs(owner string, rrtype uint16) ([]dns.RR, error) {
	if len(w) < wireTTLLen {
		return nil, fmt.Errorf("unpacking %s %s: %d bytes, too short for a TTL", owner, TypeName(rrtype), len(w))
	}
	rrs := make([]dns.RR, 0, w.Len())
	hdr := dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: w.TTL()}
	off := wireTTLLen
	for rdata := range w.Rdata() {
		hdr.Rdlength = uint16(len(rdata))
		// The unpackers read the bytes and copy what they keep, so the
		// string's bytes are lent, not copied. Names in the RDATA are
		// never compressed: it needs no message around it.
		rr, _, err := dns.UnpackRRWithHeader(hdr, unsafe.Slice(unsafe.StringData(rdata), len(rdata)), 0)
		if err != nil {
			return nil, fmt.Errorf("unpacking %s %s: record %d: %w", owner, TypeName(rrtype), len(rrs)+1, err)
		}
		rrs = append(rrs, rr)
		off += 2 + len(rdata)
	}
	if off != len(w) {
		return nil, fmt.Errorf("unpacking %s %s: record %d cut short", owner, TypeName(rrtype), len(rrs)+1)
	}
	return rrs, nil
}

// Packed returns the record's owner in zone and its RRset packed, as
// RRs and PackRRset would make them, with ttl when the record sets none,
// without a record made of each datum: for an A or AAAA RRset of plain
// addresses at a plain name, the bulk of a large zone, read at a
// restart with one allocation a record instead of four. plain reports
// whether every datum is written as RData writes its record. It reports
// false for anything else, which then goes the long way (RRs).
func (r *Record) Packed(zone string, ttl uint32) (owner string, w WireRRset, plain, ok bool) {
	if r.TTL != nil {
		ttl = *r.TTL
	}
	owner = OwnerName(r.Name, zone)
	if owner != "." && (!plainName(owner) || !dns.IsFqdn(owner)) {
		return "", "", false, false
	}
	if w, plain, ok = quickWire(r.Type, ttl, r.Data); !ok {
		return "", "", false, false
	}
	return owner, w, plain, true
}

// PackedRRset is a record's RRset as Record.Pack makes it.
type PackedRRset struct {
	// Owner is its owner, lower case and fully qualified; Type its type,
	// as its records hold it.
	Owner string
	Type  uint16
	// Wire are its records packed; "" when they do not pack
	// (PackRRset), and RRs then holds them parsed.
	Wire WireRRset
	RRs  []dns.RR
	// AsWritten says RData writes each packed record as its datum is
	// written, so that a holder of Wire need not keep the text.
	AsWritten bool
}

// Pack returns the record's RRset in zone packed, with ttl when the
// record sets none: plain addresses straight from their text (Packed),
// anything else parsed (RRs) and packed (PackRRset). A record with no
// data gives an empty PackedRRset; one whose data do not parse, RRs's
// error.
func (r *Record) Pack(zone string, ttl uint32) (PackedRRset, error) {
	if owner, w, plain, ok := r.Packed(zone, ttl); ok {
		rrtype, _ := ParseType(r.Type)
		return PackedRRset{Owner: owner, Type: rrtype, Wire: w, AsWritten: plain}, nil
	}
	rrs, err := r.RRs(zone, ttl)
	if err != nil || len(rrs) == 0 {
		return PackedRRset{}, err
	}
	h := rrs[0].Header()
	p := PackedRRset{Owner: dns.CanonicalName(h.Name), Type: h.Rrtype}
	w, asWritten, ok := PackRRset(rrs)
	if !ok {
		p.RRs = rrs
		return p, nil
	}
	p.Wire, p.AsWritten = w, asWritten && writtenAs(rrs, r.Data)
	return p, nil
}

// writtenAs reports whether rrs, parsed from data, write each back as
// written (RData).
func writtenAs(rrs []dns.RR, data []string) bool {
	if len(rrs) != len(data) {
		return false
	}
	for i, rr := range rrs {
		if RData(rr) != data[i] {
			return false
		}
	}
	return true
}

// quickWire returns the RRset of the addresses data, of type typ ("A"
// or "AAAA", as written) with ttl, packed; plain reports whether every
// datum is written as RData writes its record. It reports false for
// another type, or any datum it is not sure of (an IPv4 address in an
// AAAA, a zone, anything quickRR would not take).
func quickWire(typ string, ttl uint32, data []string) (w WireRRset, plain, ok bool) {
	size := AddressLen(dns.StringToType[typ])
	if size == 0 || len(data) == 0 {
		return "", false, false
	}
	out := make([]byte, wireTTLLen, wireTTLLen+len(data)*(2+size))
	binary.BigEndian.PutUint32(out, ttl)
	plain = true
	var text [64]byte
	for _, d := range data {
		addr, ok := quickAddress(d, size)
		if !ok {
			return "", false, false
		}
		out = binary.BigEndian.AppendUint16(out, uint16(size))
		if size == 4 {
			a := addr.As4()
			out = append(out, a[:]...)
		} else {
			a := addr.As16()
			out = append(out, a[:]...)
		}
		plain = plain && string(addr.AppendTo(text[:0])) == d
	}
	return WireRRset(unsafe.String(unsafe.SliceData(out), len(out))), plain, true
}

// quickAddress parses d as quickRR would an A (size 4) or AAAA (16)
// record's address: false for anything quickRR leaves to the parser, and
// for an AAAA holding an IPv4 address, which is written otherwise.
func quickAddress(d string, size int) (netip.Addr, bool) {
	if size == 4 && !onlyBytes(d, "0123456789.") || size == 16 && (!strings.Contains(d, ":") || !onlyBytes(d, "0123456789abcdefABCDEF:")) {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(d)
	if err != nil || size == 4 && !addr.Is4() || size == 16 && (!addr.Is6() || addr.Is4In6() || addr.Zone() != "") {
		return netip.Addr{}, false
	}
	return addr, true
}
