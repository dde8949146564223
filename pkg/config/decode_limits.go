package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yaml parses a document into a tree in which an alias (*name) points at
// its anchor's node instead of copying it; the copies are made later, each
// time the walker or yaml's decoder follows an alias or a merge key (<<).
// A few kilobytes of anchors that name anchors so expand to billions of
// values (the "billion laughs"), merge keys that merge mappings that merge
// others multiply the work at each level, and an alias inside the value it
// names loops until the stack runs out. checkBounds measures the tree as
// it would be expanded, without expanding it, and refuses it before
// anything follows an alias: the cost of a document stays proportional to
// its size, whoever sends it (the API, a file, or a write into the store
// that every node reads).
const (
	// maxAliases bounds the aliases in one document: enough to share a few
	// endpoint lists or check settings, too few to build a bomb from.
	maxAliases = 256
	// maxMergeDepth bounds chains of merge keys: a mapping may merge one
	// that merges another, and so on, this many times.
	maxMergeDepth = 3
	// maxMappingKeys bounds the keys of one mapping. yaml compares every
	// key of a mapping with every other, so a mapping of 100,000 keys
	// takes minutes; every mapping of a document decodes into a struct of
	// a few dozen fields at most, so a longer one is wrong anyway.
	maxMappingKeys = 256
	// maxNesting bounds how deep values nest; a traffic document needs
	// fewer than ten levels.
	maxNesting = 64
	// expansionFloor is the number of values aliases may add to even the
	// smallest document; a larger one may add one value per byte of it.
	expansionFloor = 10_000
)

// expansionBudget is the most values a document of srcLen bytes may stand
// for once its aliases are expanded. A value takes at least one byte, so
// the budget is about twice the values written out at most.
func expansionBudget(srcLen int) int { return expansionFloor + srcLen }

// measured is what an anchored value stands for: its values once expanded
// and the depth of the merge keys in it (for a mapping).
type measured struct{ size, merges int }

// step is one step of the path to a value: a mapping key or a list index.
type step struct {
	key   string
	index int
}

// bounds measures one document.
type bounds struct {
	file   string
	srcLen int
	budget int
	// aliases counts the aliases met so far; last is the latest, which is
	// where an expansion over budget is reported.
	aliases int
	last    *yaml.Node
	// anchors holds what each anchored value stands for once measured;
	// open holds those being measured, so an alias inside the value it
	// names is found.
	anchors map[*yaml.Node]measured
	open    map[*yaml.Node]bool
	// mergeDepth is the depth of merge keys in each mapping that has one.
	mergeDepth map[*yaml.Node]int
	path       []step
	fault      *Fault
}

// checkBounds returns a fault if doc (the document's top value), read
// from srcLen bytes, has too many
// aliases, an alias inside the value it names, merge keys nested too deep,
// values nested too deep, or would expand to more values than its size
// allows. It visits each node once and never follows an alias.
func checkBounds(file string, doc *yaml.Node, srcLen int) *Fault {
	b := &bounds{
		file:       file,
		srcLen:     srcLen,
		budget:     expansionBudget(srcLen),
		anchors:    map[*yaml.Node]measured{},
		open:       map[*yaml.Node]bool{},
		mergeDepth: map[*yaml.Node]int{},
	}
	b.measure(doc, 0)
	return b.fault
}

// measure returns the number of values n stands for with every alias
// expanded, stopping at the first fault. Anchors come before their
// aliases in a document, so an alias finds its anchor measured (or still
// open, when the alias is inside it).
func (b *bounds) measure(n *yaml.Node, depth int) int {
	if b.fault != nil {
		return 0
	}
	if depth > maxNesting {
		b.failf(n, "values are nested more than %d deep", maxNesting)
		return 0
	}
	if n.Kind == yaml.AliasNode {
		return b.alias(n)
	}
	if n.Anchor != "" {
		b.open[n] = true
	}
	size := 1
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			b.path = append(b.path, step{index: i})
			size += b.measure(c, depth+1)
			b.path = b.path[:len(b.path)-1]
			if b.over(size, n) {
				return 0
			}
		}
	case yaml.MappingNode:
		size = b.mapping(n, depth)
	}
	if n.Anchor != "" {
		delete(b.open, n)
		b.anchors[n] = measured{size: size, merges: b.mergeDepth[n]}
	}
	return size
}

// mapping measures the keys and values of mapping n, and the depth of its
// merge keys: one more than the deepest of the mappings it merges.
func (b *bounds) mapping(n *yaml.Node, depth int) int {
	if len(n.Content) > 2*maxMappingKeys {
		b.failf(n.Content[2*maxMappingKeys], "more than %d keys in one mapping", maxMappingKeys)
		return 0
	}
	size := 1
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		size += b.measure(key, depth+1)
		b.path = append(b.path, step{key: key.Value, index: -1})
		size += b.measure(val, depth+1)
		b.path = b.path[:len(b.path)-1]
		if b.over(size, n) {
			return 0
		}
		if !isMergeKey(key) {
			continue
		}
		merged := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			merged = val.Content
		}
		for _, m := range merged {
			d := 1
			if m.Kind == yaml.AliasNode && m.Alias != nil {
				d += b.anchors[m.Alias].merges
			} else {
				d += b.mergeDepth[m]
			}
			if d > maxMergeDepth {
				b.failf(m, "merge keys (<<) merge mappings that merge others more than %d deep", maxMergeDepth)
				return 0
			}
			b.mergeDepth[n] = max(b.mergeDepth[n], d)
		}
	}
	return size
}

// alias counts alias n and returns what its anchor stands for.
func (b *bounds) alias(n *yaml.Node) int {
	b.aliases++
	b.last = n
	switch {
	case b.aliases > maxAliases:
		b.failf(n, "more than %d aliases (*name) in one document; write the values out instead", maxAliases)
		return 0
	case n.Alias == nil:
		b.failf(n, "alias *%s names no anchor", n.Value)
		return 0
	case b.open[n.Alias]:
		b.failf(n, "alias *%s is inside the value it names, which would repeat without end", n.Value)
		return 0
	}
	m, ok := b.anchors[n.Alias]
	if !ok {
		// yaml resolves an alias only to an anchor before it; an anchor
		// never measured is one the walk has not reached.
		b.failf(n, "alias *%s names an anchor that comes after it", n.Value)
		return 0
	}
	return m.size
}

// over reports, once, a size of n past the budget, at the latest alias,
// which took it past (values written out take a byte each, or nearly).
func (b *bounds) over(size int, n *yaml.Node) bool {
	if b.fault != nil {
		return true
	}
	if size <= b.budget {
		return false
	}
	at := b.last
	if at == nil {
		at = n
	}
	b.failf(at, "aliases expand the document past %d values, the most a document of %d bytes may stand for; write out fewer values through anchors", b.budget, b.srcLen)
	return true
}

// failf records the fault at node n and the current path.
func (b *bounds) failf(n *yaml.Node, format string, args ...any) {
	var p strings.Builder
	for _, s := range b.path {
		if s.index >= 0 {
			p.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if p.Len() > 0 {
			p.WriteByte('.')
		}
		p.WriteString(s.key)
	}
	b.fault = &Fault{File: b.file, Line: n.Line, Column: n.Column, Field: p.String(), Message: fmt.Sprintf(format, args...)}
}

// isMergeKey reports whether key is a merge key as yaml's decoder sees
// one: a plain << (its tag resolved or left out).
func isMergeKey(key *yaml.Node) bool {
	return key.Kind == yaml.ScalarNode && key.Value == "<<" && (key.Tag == "" || key.Tag == "!" || key.ShortTag() == "!!merge")
}
