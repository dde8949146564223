package resolver

// nodeTable is one shard of a nodeIndex: an open-addressing hash table
// of nodes by name, probed linearly. A slot holds a node and a tag, a
// byte of the name's hash that is never 0 (0 marks an empty slot), so a
// probe compares names only when the tags agree: a missing name (most of
// the lookups of a closest encloser's walk) usually touches the tags
// alone. A table built for a known number of names is sized to be 2/3
// full with them (a missing name's probe then passes about four slots),
// and it grows when it would be more than 4/5 full, so a probe always
// ends at an empty slot. Its size need not be a power of two: a slot is
// chosen by multiplying the hash into the table's length.
type nodeTable struct {
	tags  []uint8
	nodes []*node
	n     int
}

// minNodeSlots is the size of the smallest table that holds anything.
const minNodeSlots = 8

// newNodeTable returns an empty table with room for size names.
func newNodeTable(size int) *nodeTable {
	if size <= 0 {
		return &nodeTable{}
	}
	slots := max(size+size/2+1, minNodeSlots)
	return &nodeTable{tags: make([]uint8, slots), nodes: make([]*node, slots)}
}

// tagOf is the tag of hash h: its top seven bits, and the eighth set.
func tagOf(h uint64) uint8 { return uint8(h>>57) | 0x80 }

// home is the slot a name of hash h is probed from.
func (t *nodeTable) home(h uint64) int {
	return int(uint64(uint32(h>>16)) * uint64(len(t.tags)) >> 32)
}

// next is the slot after i, wrapping round.
func (t *nodeTable) next(i int) int {
	if i++; i == len(t.tags) {
		return 0
	}
	return i
}

// find returns the node of name, of hash h, or nil.
func (t *nodeTable) find(h uint64, name string) *node {
	if len(t.tags) == 0 {
		return nil
	}
	tag := tagOf(h)
	for i := t.home(h); ; i = t.next(i) {
		switch t.tags[i] {
		case 0:
			return nil
		case tag:
			if n := t.nodes[i]; n.name == name {
				return n
			}
		}
	}
}

// set files n, of hash h, replacing the node of the same name if any;
// hash rehashes the names when the table grows.
func (t *nodeTable) set(h uint64, n *node, hash func(string) uint64) {
	if (t.n+1)*5 > len(t.tags)*4 {
		t.grow(hash)
	}
	tag := tagOf(h)
	for i := t.home(h); ; i = t.next(i) {
		switch t.tags[i] {
		case 0:
			t.tags[i], t.nodes[i] = tag, n
			t.n++
			return
		case tag:
			if t.nodes[i].name == n.name {
				t.nodes[i] = n
				return
			}
		}
	}
}

// grow doubles the table's slots and files every node again.
func (t *nodeTable) grow(hash func(string) uint64) {
	old := t.nodes
	slots := max(2*len(t.tags), minNodeSlots)
	t.tags, t.nodes, t.n = make([]uint8, slots), make([]*node, slots), 0
	for _, n := range old {
		if n != nil {
			t.set(hash(n.name), n, hash)
		}
	}
}

// remove drops name, of hash h, if held. The nodes probed after it move
// back into the gap when their probe passes it (no tombstones), so that
// every probe still ends at the first empty slot.
func (t *nodeTable) remove(h uint64, name string, hash func(string) uint64) {
	if len(t.tags) == 0 {
		return
	}
	tag := tagOf(h)
	i := t.home(h)
	for ; ; i = t.next(i) {
		if t.tags[i] == 0 {
			return
		}
		if t.tags[i] == tag && t.nodes[i].name == name {
			break
		}
	}
	t.n--
	for {
		t.tags[i], t.nodes[i] = 0, nil
		j := i
		for {
			j = t.next(j)
			if t.tags[j] == 0 {
				return
			}
			if !cyclicallyWithin(i, t.home(hash(t.nodes[j].name)), j) {
				// Its probe starts at or before the gap: it moves there.
				t.tags[i], t.nodes[i] = t.tags[j], t.nodes[j]
				i = j
				break
			}
		}
	}
}

// cyclicallyWithin reports whether k lies in (i, j] going round a table.
func cyclicallyWithin(i, k, j int) bool {
	if i <= j {
		return i < k && k <= j
	}
	return i < k || k <= j
}

// clone returns a copy of t that shares no slot with it.
func (t *nodeTable) clone() *nodeTable {
	return &nodeTable{tags: append([]uint8(nil), t.tags...), nodes: append([]*node(nil), t.nodes...), n: t.n}
}
