package policy

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// u128 is an IP address as a 128-bit number. IPv4 addresses are left-aligned
// (in the top 32 bits) so that prefix lengths mean the same leading bits in
// both families; a family of L bits counts in steps of unit(L).
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{hi: uint64(binary.BigEndian.Uint32(b[:])) << 32}
	}
	b := a.As16()
	return u128{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
}

func (x u128) less(y u128) bool { return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo }

func (x u128) or(y u128) u128 { return u128{x.hi | y.hi, x.lo | y.lo} }

func (x u128) andNot(y u128) u128 { return u128{x.hi &^ y.hi, x.lo &^ y.lo} }

func (x u128) add(y u128) u128 {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, _ := bits.Add64(x.hi, y.hi, c)
	return u128{hi, lo}
}

func (x u128) sub(y u128) u128 {
	lo, b := bits.Sub64(x.lo, y.lo, 0)
	hi, _ := bits.Sub64(x.hi, y.hi, b)
	return u128{hi, lo}
}

// leadingMask returns the number whose n leading bits are set.
func leadingMask(n int) u128 {
	n = max(0, min(n, 128))
	var m u128
	m.hi = ^uint64(0) << uint(64-min(n, 64))
	if n > 64 {
		m.lo = ^uint64(0) << uint(128-n)
	}
	return m
}

// unit is the difference between consecutive addresses of a family of
// length bits.
func unit(length int) u128 {
	if length <= 64 {
		return u128{hi: 1 << uint(64-length)}
	}
	return u128{lo: 1 << uint(128-length)}
}

// commonBits is the number of leading bits x and y share, at most length.
func commonBits(x, y u128, length int) int {
	n := 128
	if d := x.hi ^ y.hi; d != 0 {
		n = bits.LeadingZeros64(d)
	} else if d := x.lo ^ y.lo; d != 0 {
		n = 64 + bits.LeadingZeros64(d)
	}
	return min(n, length)
}
