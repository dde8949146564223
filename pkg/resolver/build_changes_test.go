package resolver

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// changesZone is the zone of testdata/traffic.yaml the changes go to: it
// has delegations and their glue, a sub-zone served beside it, MX and
// SRV targets, CNAME chains, wildcards, empty non-terminals and a
// service name.
const changesZone = "example.test."

// recordSet is a zone's records by owner and type, as a store keeps them.
type recordSet map[string]config.Record

func (rs recordSet) key(name, typ string) string { return name + " " + typ }

// set applies c to rs.
func (rs recordSet) set(c RecordChange) {
	if c.Record == nil {
		delete(rs, rs.key(c.Name, c.Type))
		return
	}
	rs[rs.key(c.Name, c.Type)] = *c.Record
}

// build builds doc with rs as the records of changesZone.
func (rs recordSet) build(t *testing.T, doc *config.Traffic, serial uint32) *Snapshot {
	t.Helper()
	d := *doc
	d.Zones = slices.Clone(doc.Zones)
	for i := range d.Zones {
		if dns.CanonicalName(d.Zones[i].Name) == changesZone {
			d.Zones[i].Records = nil
			for _, k := range slices.Sorted(func(yield func(string) bool) {
				for k := range rs {
					if !yield(k) {
						return
					}
				}
			}) {
				d.Zones[i].Records = append(d.Zones[i].Records, rs[k])
			}
		}
	}
	s, err := BuildSerials(&d, serial, map[string]uint32{changesZone: serial})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return s
}

func changesDoc(t *testing.T) (*config.Traffic, recordSet) {
	t.Helper()
	file := filepath.Join("testdata", "traffic.yaml")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := config.ParseTraffic(file, src, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	rs := recordSet{}
	for _, z := range doc.Zones {
		if dns.CanonicalName(z.Name) != changesZone {
			continue
		}
		for _, r := range z.Records {
			r.Name = config.OwnerName(r.Name, changesZone)
			r.Type = strings.ToUpper(r.Type)
			r.Wire = ""
			rs.set(RecordChange{Name: r.Name, Type: r.Type, Record: &r})
		}
	}
	return doc, rs
}

// put is a change giving name (relative to changesZone) the records
// data of typ; no data removes the RRset.
func put(name, typ string, data ...string) RecordChange {
	owner := config.OwnerName(name, changesZone)
	c := RecordChange{Name: owner, Type: typ}
	if len(data) > 0 {
		c.Record = &config.Record{Name: owner, Type: typ, Data: data}
	}
	return c
}

// dumpZone writes out everything a zone answers from.
func dumpZone(z *zone) string {
	var b strings.Builder
	fmt.Fprintf(&b, "zone %s ttl %d cuts %v neg %v targets %v\n", z.name, z.ttl, z.hasCuts, z.negSOA, slices.Sorted(func(yield func(string) bool) {
		for k := range z.targets {
			if !yield(k) {
				return
			}
		}
	}))
	names := make([]string, 0, z.nodes.len())
	for name, n := range z.nodes.all() {
		if n.name != name {
			fmt.Fprintf(&b, "node %s filed under %s\n", n.name, name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n := z.nodes.get(name)
		fmt.Fprintf(&b, "%s children %d cut %v", name, n.children, n.cut)
		if n.wildcard != nil {
			fmt.Fprintf(&b, " wildcard %s", n.wildcard.name)
			if z.nodes.get(n.wildcard.name) != n.wildcard {
				b.WriteString(" (not the zone's)")
			}
		}
		if n.service != nil {
			fmt.Fprintf(&b, " service %s", n.service.name)
		}
		b.WriteByte('\n')
		for _, set := range n.sets() {
			fmt.Fprintf(&b, "  %s %v additional %v\n", dns.TypeToString[set.rrtype], set.records(n.name), set.extra())
		}
	}
	return b.String()
}

// TestRecordChangesMatchABuild: a snapshot WithRecordChanges derives,
// one change after another, holds what a whole build of the changed
// records holds, for names that come (with their empty non-terminals)
// and go (and theirs), at the apex, below a cut, at a service name and
// a sub-zone's delegation; and the changes it leaves to a whole build
// are those it says.
func TestRecordChangesMatchABuild(t *testing.T) {
	doc, rs := changesDoc(t)
	serial := uint32(100)
	s := rs.build(t, doc, serial)
	steps := []struct {
		name        string
		changes     []RecordChange
		incremental bool
		// invalid marks a change no store holds (validation refuses
		// it): it is not built.
		invalid bool
	}{
		{"a new name", []RecordChange{put("new", "A", "192.0.2.200")}, true, false},
		{"an address replaced", []RecordChange{put("host", "A", "192.0.2.12")}, true, false},
		{"one RRset of three removed", []RecordChange{put("host", "TXT")}, true, false},
		{"a deep name and its empty non-terminals", []RecordChange{put("p.q.r", "TXT", `"deep"`)}, true, false},
		{"a second name under them", []RecordChange{put("s.q.r", "A", "192.0.2.201")}, true, false},
		{"the first goes, its parent stays", []RecordChange{put("p.q.r", "TXT")}, true, false},
		{"the second goes, and both non-terminals", []RecordChange{put("s.q.r", "A")}, true, false},
		{"a name and its non-terminals removed", []RecordChange{put("x.y.z", "A")}, true, false},
		{"a name under a wildcard's parent removed", []RecordChange{put("leaf.ent.wild", "A")}, true, false},
		{"a record at the apex", []RecordChange{put("@", "TXT", `"v=spf1 ~all"`)}, true, false},
		{"a CNAME's target removed", []RecordChange{put("c", "A")}, true, false},
		{"a name below a cut", []RecordChange{put("deeper.child", "A", "192.0.2.202")}, true, false},
		{"a record at a service name", []RecordChange{put("www", "TXT", `"managed"`)}, true, false},
		{"a record at a served sub-zone's apex", []RecordChange{put("sub", "TXT", `"parent side"`)}, true, false},
		{"a name that is also a non-terminal", []RecordChange{put("y.z", "A", "192.0.2.203"), put("x.y.z", "A", "192.0.2.40")}, true, false},
		{"then the leaf goes, the name stays", []RecordChange{put("x.y.z", "A")}, true, false},
		{"several at once, one twice", []RecordChange{put("m1", "A", "192.0.2.1"), put("m2.m1", "AAAA", "2001:db8::2"), put("m1", "A", "192.0.2.2"), put("new", "A")}, true, false},
		{"RFC 3597 type", []RecordChange{put("opaque", "TYPE65534", `\# 2 abcd`)}, true, false},
		{"an MX target's address", []RecordChange{put("mail", "A", "192.0.2.26")}, false, false},
		{"glue", []RecordChange{put("ns.child", "A", "192.0.2.55")}, false, false},
		{"an MX", []RecordChange{put("mx2", "MX", "10 mail.example.test.")}, false, false},
		{"an SRV", []RecordChange{put("_x._tcp", "SRV", "1 1 1 sip.example.test.")}, false, false},
		{"a delegation", []RecordChange{put("deleg2", "NS", "ns.example.net.")}, false, false},
		{"a DS", []RecordChange{put("child", "DS", "12345 13 2 "+strings.Repeat("ab", 32))}, false, false},
		{"a wildcard", []RecordChange{put("*.new2", "A", "192.0.2.204")}, false, false},
		{"below a wildcard", []RecordChange{put("a.*.new3", "A", "192.0.2.205")}, false, false},
		{"an SOA", []RecordChange{put("@", "SOA", "ns1.example.test. h.example.test. 1 2 3 4 5")}, false, true},
		{"a name out of the zone", []RecordChange{{Name: "other.test.", Type: "A", Record: &config.Record{Name: "other.test.", Type: "A", Data: []string{"192.0.2.1"}}}}, false, true},
		{"another change after whole builds", []RecordChange{put("new4", "A", "192.0.2.206")}, true, false},
		// Beside host's A, a whole build holds a second RRset of type 1.
		{"a known type by its number", []RecordChange{put("host", "TYPE1", `\# 4 c0000263`)}, false, false},
		{"a change in a zone that names a type by its number", []RecordChange{put("new5", "A", "192.0.2.207")}, false, false},
	}
	for _, step := range steps {
		serial++
		before := dumpZone(s.zones[changesZone])
		next, ok, err := s.WithRecordChanges(changesZone, serial, step.changes)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if ok != step.incremental {
			t.Errorf("%s: derived %v, want %v", step.name, ok, step.incremental)
		}
		if step.invalid {
			continue
		}
		for _, c := range step.changes {
			rs.set(c)
		}
		if !ok {
			// Built whole, as the node would.
			s = rs.build(t, doc, serial)
			continue
		}
		checkSameSnapshot(t, step.name, next, s, before, rs.build(t, doc, serial))
		s = next
	}
}

// checkSameSnapshot fails unless got, derived from prev, holds what
// want, a whole build, does, shares prev's other zones, and left prev's
// zone as before (dumpZone) says it was.
func checkSameSnapshot(t *testing.T, step string, got, prev *Snapshot, before string, want *Snapshot) {
	t.Helper()
	if got.Serial() != want.Serial() {
		t.Errorf("%s: serial %d, want %d", step, got.Serial(), want.Serial())
	}
	if g, w := dumpZone(got.zones[changesZone]), dumpZone(want.zones[changesZone]); g != w {
		t.Errorf("%s: the zone differs from a build:\n%s", step, lineDiff(g, w))
	}
	for name, z := range got.zones {
		if name != changesZone && z != prev.zones[name] {
			t.Errorf("%s: zone %s not shared", step, name)
		}
	}
	if after := dumpZone(prev.zones[changesZone]); after != before {
		t.Errorf("%s: the snapshot derived from changed:\n%s", step, lineDiff(after, before))
	}
}

// lineDiff lists the lines only one of got and want has.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	return b.String()
}

// TestRandomRecordChangesMatchABuild: a long run of random changes to
// names up to three labels deep (so that non-terminals come and go),
// each derived from the snapshot the one before derived, holds what a
// whole build holds at every step.
//
// "sharded" pads the zone with enough names that its index is split in
// shards (nodeIndex), so the changes copy shards and the names they add
// and drop fall in different ones.
func TestRandomRecordChangesMatchABuild(t *testing.T) {
	for _, c := range []struct {
		name  string
		pad   int
		steps int
	}{{"small", 0, 300}, {"sharded", minShardedNodes, 6}} {
		t.Run(c.name, func(t *testing.T) {
			doc, rs := changesDoc(t)
			for i := range c.pad {
				name := fmt.Sprintf("p%d.pad.%s", i, changesZone)
				rs.set(RecordChange{Name: name, Type: "A", Record: &config.Record{Name: name, Type: "A", Data: []string{"192.0.2.9"}}})
			}
			randomRecordChanges(t, doc, rs, c.steps, c.pad > 0)
		})
	}
}

// randomRecordChanges is TestRandomRecordChangesMatchABuild's steps over
// rs; sharded says the zone's index must be in more than one shard.
func randomRecordChanges(t *testing.T, doc *config.Traffic, rs recordSet, steps int, sharded bool) {
	serial := uint32(100)
	s := rs.build(t, doc, serial)
	if got := len(s.zones[changesZone].nodes.shards); sharded != (got > 1) {
		t.Fatalf("the zone's index has %d shards, want sharded %v", got, sharded)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"a", "b", "c"}
	types := []string{"A", "AAAA", "TXT"}
	data := map[string]func(int) string{
		"A":    func(i int) string { return netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}).String() },
		"AAAA": func(i int) string { return fmt.Sprintf("2001:db8::%x", i) },
		"TXT":  func(i int) string { return fmt.Sprintf(`"t%d"`, i) },
	}
	for step := range steps {
		var changes []RecordChange
		for range 1 + rng.IntN(3) {
			parts := []string{}
			for range 1 + rng.IntN(3) {
				parts = append(parts, labels[rng.IntN(len(labels))])
			}
			name := strings.Join(append(parts, "rnd"), ".")
			typ := types[rng.IntN(len(types))]
			if rng.IntN(2) == 0 {
				changes = append(changes, put(name, typ))
			} else {
				changes = append(changes, put(name, typ, data[typ](rng.IntN(256))))
			}
		}
		serial++
		before := dumpZone(s.zones[changesZone])
		next, ok, err := s.WithRecordChanges(changesZone, serial, changes)
		if err != nil || !ok {
			t.Fatalf("step %d %v: derived %v, %v", step, changes, ok, err)
		}
		for _, c := range changes {
			rs.set(c)
		}
		checkSameSnapshot(t, fmt.Sprintf("step %d", step), next, s, before, rs.build(t, doc, serial))
		if t.Failed() {
			t.FailNow()
		}
		s = next
	}
}

// askFast asks h's fast path for name and type, failing when it
// declines.
func askFast(t *testing.T, h *Handler, name string, qtype uint16) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	out, ok := h.AnswerPacket(wire, netip.MustParseAddrPort("127.0.0.1:5300"), make([]byte, 0, 512))
	if !ok || out == nil {
		t.Fatalf("the fast path declined %v", q.Question[0])
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(out); err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestRecordChangesRemakeChainedFastAnswers: an answer the fast path
// made by following a CNAME into another zone served here is made again
// when that zone's records change, though the CNAME's zone did not.
func TestRecordChangesRemakeChainedFastAnswers(t *testing.T) {
	doc, rs := changesDoc(t)
	s := rs.build(t, doc, 100)
	h := NewHandler(Options{})
	h.Swap(s)
	ask := func() []string {
		t.Helper()
		resp := askFast(t, h, "tosub.example.test.", dns.TypeA)
		var got []string
		for _, rr := range resp.Answer {
			if a, ok := rr.(*dns.A); ok {
				got = append(got, a.A.String())
			}
		}
		return got
	}
	ask()
	if got := ask(); !slices.Equal(got, []string{"192.0.2.100"}) {
		t.Fatalf("addresses %v, want the sub-zone's 192.0.2.100", got)
	}
	const host = "host.sub.example.test."
	next, ok, err := s.WithRecordChanges("sub.example.test.", 101, []RecordChange{{Name: host, Type: "A", Record: &config.Record{Name: host, Type: "A", Data: []string{"192.0.2.99"}}}})
	if !ok || err != nil {
		t.Fatalf("WithRecordChanges: %v, %v", ok, err)
	}
	h.Swap(next)
	if got := ask(); !slices.Equal(got, []string{"192.0.2.99"}) {
		t.Errorf("after the sub-zone's change: addresses %v, want 192.0.2.99", got)
	}
}

// TestRecordChangesRemakeFastAnswers: a NODATA answer the fast path
// made at a name a change leaves alone carries the SOA with the serial
// of the zone it is asked in, not of the one it was first made in.
func TestRecordChangesRemakeFastAnswers(t *testing.T) {
	doc, rs := changesDoc(t)
	s := rs.build(t, doc, 100)
	h := NewHandler(Options{})
	h.Swap(s)
	ask := func() *dns.Msg {
		t.Helper()
		return askFast(t, h, "host.example.test.", dns.TypeMX)
	}
	serialOf := func(m *dns.Msg) uint32 {
		t.Helper()
		if len(m.Ns) != 1 {
			t.Fatalf("authority %v, want the SOA", m.Ns)
		}
		return m.Ns[0].(*dns.SOA).Serial
	}
	ask()
	if got := serialOf(ask()); got != 100 {
		t.Fatalf("serial %d, want 100", got)
	}
	next, ok, err := s.WithRecordChanges(changesZone, 101, []RecordChange{put("new", "A", "192.0.2.200")})
	if !ok || err != nil {
		t.Fatalf("WithRecordChanges: %v, %v", ok, err)
	}
	h.Swap(next)
	if got := serialOf(ask()); got != 101 {
		t.Errorf("after the change: serial %d, want 101", got)
	}
	h.Swap(s)
	if got := serialOf(ask()); got != 100 {
		t.Errorf("the snapshot before, again: serial %d, want 100", got)
	}
}
