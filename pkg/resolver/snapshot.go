package resolver

import (
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// Snapshot is an immutable view of every zone gtmd serves. Build makes
// one; WithHealth derives one with other endpoint health. Nothing in it
// changes once built, so any number of queries may read it at once.
type Snapshot struct {
	zones map[string]*zone
	// version is the version of the records: the fast path's answers
	// kept on nodes are made again in another.
	version *recordsVersion
	// serial is the SOA serial of every zone, or the largest of theirs
	// (BuildSerials).
	serial uint32
	// services lists every service node, indexed by serviceNode.index.
	services []*serviceNode
	// byName indexes services by name, for WithHealthChanges.
	byName map[string][]int
	// health holds, per service index, each endpoint's health, shared
	// in part with other snapshots.
	health healthTable
	// decisions remembers policy choices under this health, keyed by
	// healthTable.key; nil when the snapshot has no service. Snapshots
	// WithHealthChanges derives share it, and decisionGen, which numbers
	// their changes.
	decisions   *decisionTable
	decisionGen *atomic.Int64
	// byTarget indexes services by the host names their endpoints are
	// named by; retargeted holds the versions of those services that
	// answer with the addresses last handed in (target.go), nil until
	// WithTargets.
	byTarget   map[string][]int
	retargeted map[int]*serviceNode
	// signing holds the zones whose answers are signed (WithSigning);
	// nil, the common case, costs the query path one nil check.
	signing map[string]Signing
}

// recordsVersion marks one version of a snapshot's records. Each Build
// and each WithRecordChanges makes one; the snapshots derived from it
// with other health, signing or targets share it. An answer the fast
// path keeps on a node (fastNode) belongs to the version it was made
// in: a change of records in one zone changes answers in another (a
// CNAME into it), and nodes a change leaves alone are shared with the
// next version. It holds a byte so that each is its own address, and
// nothing else, so that a node asked last long ago keeps no old
// version's records alive.
type recordsVersion struct{ _ byte }

// Serial is the SOA serial the snapshot's zones carry, the largest when
// each has its own.
func (s *Snapshot) Serial() uint32 { return s.serial }

// zone is one zone apex and every name below it that it serves.
type zone struct {
	name string
	// ttl is the zone's default TTL, for records that state none.
	ttl   uint32
	nodes *nodeIndex
	// targets are the in-zone names whose addresses an NS, MX or SRV
	// RRset carries as additional records (linkAdditional): a change
	// to one of them is a change to those RRsets too.
	targets map[string]bool
	// typeAliases is set when a record names its type otherwise than
	// config.TypeName does (TYPE1 for A): two of its RRsets may then be of one
	// type, which WithRecordChanges leaves to a whole build.
	typeAliases bool
	// hasCuts is set when the zone delegates any name, so most lookups
	// skip the search for a cut.
	hasCuts bool
	// negSOA is the apex SOA with the negative TTL, for the authority
	// section of NXDOMAIN and NODATA answers (RFC 2308 §3).
	negSOA []dns.RR
	// negSOAWire is negSOA packed, the authority section of a service's
	// NODATA answer on the fast path.
	negSOAWire []byte
	// nx is the zone's NXDOMAIN answer for the fast path, made on first
	// use (fastNXDomain).
	nx atomic.Pointer[fastAnswer]
	// transfer is who may transfer the zone; nil refuses everyone.
	transfer *transferPolicy
}

// node is one owner name of a zone: its RRsets, or none for an empty
// non-terminal.
//
// A large zone holds a million of these, so the node is packed into 56
// bytes: its RRsets (sets) are a pointer and a count rather than a
// slice's three words, and a name made with its first RRset holds that
// RRset in the same allocation (nodeWithSet), 80 bytes where a node and
// its own slice took 128.
type node struct {
	name string
	// first and nsets are the RRsets (sets), sorted by type; a node rarely
	// has more than a handful, so a scan beats a map.
	first *rrset
	// wildcard is the node "*.<name>", which answers for missing names
	// whose closest encloser is this node.
	wildcard *node
	// service is set when the name is a service whose addresses a policy
	// chooses.
	service *serviceNode
	// fast holds the node's precomputed answers, made on first use
	// (fastAnswerOf).
	fast atomic.Pointer[fastNode]
	// children counts the nodes one label below, so that a change of
	// records knows when a name it empties is gone (withChanges).
	children int32
	nsets    uint16
	// cut is set on a delegation point: NS records below the apex.
	cut bool
}

// maxSetsAtName is the most RRsets a node holds: one of each type.
const maxSetsAtName = math.MaxUint16

// nodeWithSet is a node made with its first RRset, in one allocation.
type nodeWithSet struct {
	node
	set [1]rrset
}

// newNodeWithSet returns a node for name holding one RRset.
func newNodeWithSet(name string, set rrset) *node {
	w := &nodeWithSet{node: node{name: name}, set: [1]rrset{set}}
	w.first, w.nsets = &w.set[0], 1
	return &w.node
}

// sets returns the node's RRsets, sorted by type. They are the node's:
// a change makes a node with new ones (withRRset).
func (n *node) sets() []rrset { return unsafe.Slice(n.first, n.nsets) }

// setSets makes sets the node's RRsets; there are at most maxSetsAtName
// (one of each type: addSet refuses more, and a change replaces a type's
// RRset), else it panics rather than drop them.
func (n *node) setSets(sets []rrset) {
	if len(sets) > maxSetsAtName {
		panic(fmt.Sprintf("resolver: %d RRsets at %s, more than one of each type", len(sets), n.name))
	}
	if len(sets) == 0 {
		n.first, n.nsets = nil, 0
		return
	}
	n.first, n.nsets = &sets[0], uint16(len(sets))
}

// rrset is the records of one type at one name, and the additional
// records an answer with them carries (addresses of in-zone targets).
//
// It is 24 bytes, so that a node made with its first RRset fits in 80
// (nodeWithSet): the records are a pointer and a count (records), not a
// slice's three words, and the additional records a pointer, nil for
// every type but NS, MX and SRV. The records are packed (wire: a
// config.WireRRset of n bytes, 10 for an A record where a parsed one
// costs 85) unless they are not one RRset the packed form holds (n
// parsed records).
type rrset struct {
	data       unsafe.Pointer
	additional *[]dns.RR
	n          uint32
	rrtype     uint16
	wire       bool
}

// newRRset returns the RRset of rrtype holding rrs: packed when they
// pack, else rrs themselves, which it shares: nothing changes them
// afterwards.
func newRRset(rrtype uint16, rrs []dns.RR) rrset {
	if w, _, ok := config.PackRRset(rrs); ok && rrs[0].Header().Rrtype == rrtype {
		return newWireRRset(rrtype, w)
	}
	return parsedRRset(rrtype, rrs)
}

// parsedRRset returns the RRset of rrtype holding rrs parsed, which it
// shares.
func parsedRRset(rrtype uint16, rrs []dns.RR) rrset {
	if len(rrs) > math.MaxUint32 {
		panic(fmt.Sprintf("resolver: an RRset of %d records", len(rrs)))
	}
	return rrset{rrtype: rrtype, data: unsafe.Pointer(unsafe.SliceData(rrs)), n: uint32(len(rrs))}
}

// newWireRRset returns the RRset of rrtype holding w, which it shares.
func newWireRRset(rrtype uint16, w config.WireRRset) rrset {
	if len(w) > math.MaxUint32 {
		panic(fmt.Sprintf("resolver: an RRset of %d bytes", len(w)))
	}
	return rrset{rrtype: rrtype, data: unsafe.Pointer(unsafe.StringData(string(w))), n: uint32(len(w)), wire: true}
}

// records returns the RRset's records, owned by owner (the node's name,
// or the name a wildcard answers): packed ones are unpacked, new each
// time; parsed ones are shared, and carry the node's name whatever
// owner is. Appending to them copies them. Packed records that do not
// unpack give none: config.PackRRset packs only what unpacks, and a
// build checks what it is handed packed (config.WireRRset.Check).
func (set *rrset) records(owner string) []dns.RR {
	if !set.wire {
		return unsafe.Slice((*dns.RR)(set.data), set.n)
	}
	rrs, err := set.packed().RRs(owner, set.rrtype)
	if err != nil {
		return nil
	}
	return rrs
}

// packed is the RRset's records packed; only for an RRset that holds
// them so (wire).
func (set *rrset) packed() config.WireRRset {
	return config.WireRRset(unsafe.String((*byte)(set.data), set.n))
}

// ttl is the TTL of the RRset's first record.
func (set *rrset) ttl() uint32 {
	if set.wire {
		return set.packed().TTL()
	}
	return (*(*dns.RR)(set.data)).Header().Ttl
}

// extra returns the additional records of an answer with set.
func (set *rrset) extra() []dns.RR {
	if set.additional == nil {
		return nil
	}
	return *set.additional
}

// lookup returns the RRset of rrtype at the node, or nil.
func (n *node) lookup(rrtype uint16) *rrset {
	sets := n.sets()
	for i := range sets {
		if sets[i].rrtype == rrtype {
			return &sets[i]
		}
	}
	return nil
}

// empty reports whether the node holds no data: an empty non-terminal.
func (n *node) empty() bool { return n.nsets == 0 && n.service == nil }

// findZone returns the zone that is the longest suffix of name (lower
// case, fully qualified), or nil.
func (s *Snapshot) findZone(name string) *zone {
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if z, ok := s.zones[name[off:]]; ok {
			return z
		}
	}
	if z, ok := s.zones["."]; ok {
		return z
	}
	return nil
}
