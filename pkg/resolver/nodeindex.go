package resolver

import (
	"hash/maphash"
	"iter"
	"math"
	"math/bits"
	"unsafe"
)

// nodeIndex maps a zone's owner names to their nodes. A large zone's is
// split into shards by a hash of the name: a snapshot derived for a
// change of a few records (WithRecordChanges) copies the shards the
// change touches, not an index of a million names, which took most of an
// UPDATE's time and allocation at that size. A small zone has one shard.
//
// A shard is a table of its own (nodeTable), not a Go map: a map keeps
// each name's string header beside the node's pointer and rounds its
// slots up to a power of two, 46–48 bytes a name; the table keeps the
// pointer and a byte, sized to the names it holds, about 12.
type nodeIndex struct {
	shards []*nodeTable
	// shared has bit i set while shards[i] also belongs to the index this
	// one was cloned from, so it is copied before its first change.
	shared []uint64
	// seed hashes the names; a clone keeps it, so a name stays in its
	// shard and its slot.
	seed maphash.Seed
}

// nodesPerShard is the size a large zone's shards are made for: copying
// one costs well under a millisecond.
const nodesPerShard = 8192

// minShardedNodes is the size from which a zone's index is split: past
// it, copying an index whole for a change costs more than a few
// milliseconds.
const minShardedNodes = 8 * nodesPerShard

// maxNodeShards bounds the shards of the largest zones (8 million names
// before a shard grows past nodesPerShard).
const maxNodeShards = 1024

// nodeShards is the number of shards for an index of about size names:
// a power of two.
func nodeShards(size int) int {
	if size <= minShardedNodes {
		return 1
	}
	return min(1<<bits.Len(uint(size/nodesPerShard-1)), maxNodeShards)
}

// newNodeIndex returns an empty index for about size names.
func newNodeIndex(size int) *nodeIndex {
	shards := nodeShards(size)
	x := &nodeIndex{shards: make([]*nodeTable, shards), shared: make([]uint64, (shards+63)/64), seed: maphash.MakeSeed()}
	per := size / shards
	// Hashing spreads names unevenly by a few standard deviations
	// (about the square root of per): room for that, so that no shard
	// doubles for a handful of names.
	per += 4 * int(math.Sqrt(float64(per)))
	for i := range x.shards {
		x.shards[i] = newNodeTable(per)
	}
	return x
}

// hash is name's hash under x's seed. Its low bits pick the shard, its
// middle bits the slot and its top bits the tag (nodeTable).
func (x *nodeIndex) hash(name string) uint64 { return maphash.String(x.seed, name) }

func (x *nodeIndex) shardOfHash(h uint64) int { return int(h & uint64(len(x.shards)-1)) }

// get returns the node of name, or nil.
func (x *nodeIndex) get(name string) *node { return x.getHashed(x.hash(name), name) }

// getHashed is get of a name whose hash is h, for a caller that sets the
// name next if it is missing (zone.ensure) and hashes it once.
func (x *nodeIndex) getHashed(h uint64, name string) *node {
	return x.shards[x.shardOfHash(h)].find(h, name)
}

// getBytes is get of a name held in bytes, without a copy of it: the
// string made over name lives only through the lookup, which neither
// keeps nor changes it.
func (x *nodeIndex) getBytes(name []byte) *node {
	return x.get(unsafe.String(unsafe.SliceData(name), len(name)))
}

// len is the number of names.
func (x *nodeIndex) len() int {
	n := 0
	for _, t := range x.shards {
		n += t.n
	}
	return n
}

// all yields every name and its node, in no order.
func (x *nodeIndex) all() iter.Seq2[string, *node] {
	return func(yield func(string, *node) bool) {
		for _, t := range x.shards {
			for _, n := range t.nodes {
				if n != nil && !yield(n.name, n) {
					return
				}
			}
		}
	}
}

// writable returns shard i, copied first when it is shared.
func (x *nodeIndex) writable(i int) *nodeTable {
	if x.shared[i/64]&(1<<(i%64)) != 0 {
		x.shards[i] = x.shards[i].clone()
		x.shared[i/64] &^= 1 << (i % 64)
	}
	return x.shards[i]
}

// set makes n the node of its name.
func (x *nodeIndex) set(n *node) { x.setHashed(x.hash(n.name), n) }

// setHashed is set of a node whose name's hash is h.
func (x *nodeIndex) setHashed(h uint64, n *node) {
	x.writable(x.shardOfHash(h)).set(h, n, x.hash)
}

// remove drops name; a name not held copies no shard.
func (x *nodeIndex) remove(name string) {
	h := x.hash(name)
	i := x.shardOfHash(h)
	if x.shards[i].find(h, name) != nil {
		x.writable(i).remove(h, name, x.hash)
	}
}

// clone returns an index holding what x holds, sharing x's shards until
// it changes them. x itself must not change afterwards: a snapshot's
// index does not.
func (x *nodeIndex) clone() *nodeIndex {
	c := &nodeIndex{shards: append([]*nodeTable(nil), x.shards...), shared: make([]uint64, len(x.shared)), seed: x.seed}
	for i := range c.shared {
		c.shared[i] = ^uint64(0)
	}
	return c
}
