package policy

import (
	"cmp"
	"net/netip"
	"slices"
)

// pins is the service's `networks` pins (Route 53 IP-based routing), laid
// out for longest-prefix match and for ECS scope: each family's address
// space is cut into sorted, disjoint spans, each labelled with the longest
// pin that covers it (or none). Finding the span of an address is a binary
// search; the span's edges say how many bits a scope needs for every address
// inside it to meet the same pin.
type pins struct {
	list   []pin // sorted by family, address, length: parents before children
	v4, v6 []span
}

// pin is one pinned network.
type pin struct {
	prefix      netip.Prefix
	ep          int   // endpoint index
	parent      int32 // longest other pin that contains this one, or -1
	first, last u128
}

// span is a run of addresses whose longest matching pin is the same.
type span struct {
	lo, hi u128
	pin    int32 // index into pins.list, or -1
}

func (p *pin) contains(x u128) bool { return !x.less(p.first) && !p.last.less(x) }

// compilePins lays out every endpoint's networks; nets[i] are those of
// endpoint i. Config validation has parsed them, written IPv4 as IPv4 and
// pinned each network once.
func compilePins(nets [][]string) pins {
	var t pins
	for i := range nets {
		for _, n := range nets[i] {
			p, err := netip.ParsePrefix(n)
			if err != nil {
				continue // config validation refuses it; there is nothing to pin
			}
			length := p.Addr().BitLen()
			first := toU128(p.Addr())
			last := first.or(leadingMask(length).andNot(leadingMask(p.Bits())))
			t.list = append(t.list, pin{prefix: p, ep: i, parent: -1, first: first, last: last})
		}
	}
	slices.SortFunc(t.list, func(a, b pin) int {
		if c := cmp.Compare(a.prefix.Addr().BitLen(), b.prefix.Addr().BitLen()); c != 0 {
			return c
		}
		if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.prefix.Bits(), b.prefix.Bits())
	})
	split := 0
	for split < len(t.list) && t.list[split].prefix.Addr().Is4() {
		split++
	}
	if split > 0 {
		t.v4 = t.flatten(0, split, 32)
	}
	if split < len(t.list) {
		t.v6 = t.flatten(split, len(t.list), 128)
	}
	return t
}

// flatten cuts one family's address space (of length bits) into spans by a
// sweep over the pins list[from:to], which are sorted so that every pin
// comes after the pins containing it. It also sets each pin's parent.
func (t *pins) flatten(from, to, length int) []span {
	top, step := leadingMask(length), unit(length)
	var (
		out   []span
		stack []int32
		cur   u128 // first address not yet in a span
		done  bool // the spans reach the family's last address
	)
	emit := func(lo, hi u128, label int32) {
		if done || hi.less(lo) {
			return
		}
		if n := len(out); n > 0 && out[n-1].pin == label && out[n-1].hi.add(step) == lo {
			out[n-1].hi = hi
			return
		}
		out = append(out, span{lo: lo, hi: hi, pin: label})
	}
	enclosing := func() int32 {
		if len(stack) == 0 {
			return -1
		}
		return stack[len(stack)-1]
	}
	closeTop := func() {
		p := enclosing()
		stack = stack[:len(stack)-1]
		last := t.list[p].last
		emit(cur, last, p)
		if last == top {
			done = true
		} else if !done && !last.less(cur) {
			cur = last.add(step)
		}
	}
	for i := from; i < to; i++ {
		p := &t.list[i]
		for len(stack) > 0 && !t.list[enclosing()].contains(p.first) {
			closeTop()
		}
		if cur.less(p.first) {
			emit(cur, p.first.sub(step), enclosing())
		}
		cur = p.first
		p.parent = enclosing()
		stack = append(stack, int32(i))
	}
	for len(stack) > 0 {
		closeTop()
	}
	emit(cur, top, -1)
	return out
}

// match returns the longest pin containing the client's whole known
// prefix (-1 if none) and the fewest leading bits of the client's address
// that keep every address inside meeting the same longest pin. That is the
// least scope any answer may carry once pins exist: a shorter one would
// cover a pin boundary. It may exceed q.bits when the client's known prefix
// straddles a boundary; the caller caps it.
func (t *pins) match(q query) (int, int) {
	spans, length := t.v6, 128
	if q.addr.Is4() {
		spans, length = t.v4, 32
	}
	if len(spans) == 0 || !q.addr.IsValid() {
		return -1, 0
	}
	lo, hi := 0, len(spans)-1 // spans[0].lo is the family's first address
	for lo < hi {
		mid := int(uint(lo+hi+1) >> 1)
		if q.value.less(spans[mid].lo) {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	sp := &spans[lo]
	step, scope := unit(length), 0
	if sp.lo != (u128{}) {
		scope = commonBits(q.value, sp.lo.sub(step), length) + 1
	}
	if sp.hi != leadingMask(length) {
		scope = max(scope, commonBits(q.value, sp.hi.add(step), length)+1)
	}
	p := sp.pin
	for p >= 0 && t.list[p].prefix.Bits() > q.bits {
		p = t.list[p].parent
	}
	return int(p), scope
}
