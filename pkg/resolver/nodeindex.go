package resolver

import (
	"hash/maphash"
	"iter"
	"maps"
	"math/bits"
)

// nodeIndex maps a zone's owner names to their nodes. A large zone's is
// split into shards by a hash of the name: a snapshot derived for a
// change of a few records (WithRecordChanges) copies the shards the
// change touches, not an index of a million names, which took most of an
// UPDATE's time and allocation at that size. A small zone has one shard,
// and a lookup then costs what a map's does.
type nodeIndex struct {
	shards []map[string]*node
	// shared has bit i set while shards[i] also belongs to the index this
	// one was cloned from, so it is copied before its first change.
	shared []uint64
	// seed picks the shards; a clone keeps it, so a name stays in its
	// shard.
	seed maphash.Seed
}

// nodesPerShard is the size a large zone's shards are made for: copying
// one costs well under a millisecond.
const nodesPerShard = 8192

// minShardedNodes is the size from which a zone's index is split: the
// shard's hash costs each lookup about 20 ns, and copying an index
// this size whole costs a few milliseconds.
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
	x := &nodeIndex{shards: make([]map[string]*node, shards), shared: make([]uint64, (shards+63)/64), seed: maphash.MakeSeed()}
	for i := range x.shards {
		x.shards[i] = make(map[string]*node, size/shards)
	}
	return x
}

// shardOf is the shard of name.
func (x *nodeIndex) shardOf(name string) int {
	if len(x.shards) == 1 {
		return 0
	}
	return int(maphash.String(x.seed, name) & uint64(len(x.shards)-1))
}

// get returns the node of name, or nil.
func (x *nodeIndex) get(name string) *node {
	return x.shards[x.shardOf(name)][name]
}

// getBytes is get of a name held in bytes, without a copy of it.
func (x *nodeIndex) getBytes(name []byte) *node {
	i := 0
	if len(x.shards) > 1 {
		i = int(maphash.Bytes(x.seed, name) & uint64(len(x.shards)-1))
	}
	return x.shards[i][string(name)]
}

// len is the number of names.
func (x *nodeIndex) len() int {
	n := 0
	for _, m := range x.shards {
		n += len(m)
	}
	return n
}

// all yields every name and its node, in no order.
func (x *nodeIndex) all() iter.Seq2[string, *node] {
	return func(yield func(string, *node) bool) {
		for _, m := range x.shards {
			for name, n := range m {
				if !yield(name, n) {
					return
				}
			}
		}
	}
}

// writable returns the shard of name, copied first when it is shared.
func (x *nodeIndex) writable(name string) map[string]*node {
	i := x.shardOf(name)
	if x.shared[i/64]&(1<<(i%64)) != 0 {
		x.shards[i] = maps.Clone(x.shards[i])
		x.shared[i/64] &^= 1 << (i % 64)
	}
	return x.shards[i]
}

// set makes n the node of name.
func (x *nodeIndex) set(name string, n *node) { x.writable(name)[name] = n }

// remove drops name; a name not held copies no shard.
func (x *nodeIndex) remove(name string) {
	if x.get(name) != nil {
		delete(x.writable(name), name)
	}
}

// clone returns an index holding what x holds, sharing x's shards until
// it changes them. x itself must not change afterwards: a snapshot's
// index does not.
func (x *nodeIndex) clone() *nodeIndex {
	c := &nodeIndex{shards: append([]map[string]*node(nil), x.shards...), shared: make([]uint64, len(x.shared)), seed: x.seed}
	for i := range c.shared {
		c.shared[i] = ^uint64(0)
	}
	return c
}
