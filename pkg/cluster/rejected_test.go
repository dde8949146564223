package cluster

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gtmd/gtmd/internal/sizeddoc"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// storedBombs are documents that anyone with access to etcd can write
// straight into the store. Unbounded, every node parsed each for hours or
// gigabytes (the merge and alias bombs) or died of a stack overflow (the
// merge cycle), on the watch event and again at every restart.
func storedBombs() []struct{ name, value, fault string } {
	const zone = "zones:\n  - name: example.com.\n    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}\n    ns: [ns1.example.com.]\n    records: [{name: ns1, type: A, data: [192.0.2.53]}]\n"
	var merge strings.Builder
	merge.WriteString(zone + "services:\n  - name: www.example.com.\n    policy: failover\n    endpoints:\n      - &e0 {id: a, a: [192.0.2.1]}\n")
	for l := 1; l <= 12; l++ {
		fmt.Fprintf(&merge, "      - &e%d {<<: [%s]}\n", l, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*e%d, ", l-1), 10), ", "))
	}
	var laughs strings.Builder
	laughs.WriteString(zone + "checks:\n  - &l0 [" + strings.TrimSuffix(strings.Repeat(`"`+strings.Repeat("lol", 150)+`", `, 10), ", ") + "]\n")
	for l := 1; l <= 9; l++ {
		fmt.Fprintf(&laughs, "  - &l%d [%s]\n", l, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", l-1), 10), ", "))
	}
	return []struct{ name, value, fault string }{
		{"merge bomb", merge.String(), "aliases expand the document past"},
		{"alias bomb", laughs.String(), "aliases expand the document past"},
		{"merge cycle", zone + "services:\n  - &x {<<: *x}\n", "alias *x is inside the value it names"},
	}
}

// TestStoredBombRefused writes bombs straight into the store: each is
// refused in bounded time, the node keeps serving the document it had,
// and the refusal names the key and revision in the state, the log and
// the metrics; a node that starts with the bomb stored refuses it too;
// a valid document written after is served.
func TestStoredBombRefused(t *testing.T) {
	eps := clustertest.StartEtcd(t)
	reg := prometheus.NewRegistry()
	n := openNode(t, eps, "a", func(o *Options) { o.Registerer = reg })
	raw := clustertest.Client(t, eps)
	ctx := ctxT(t)
	key := testPrefix + "traffic"

	good := loadTraffic(t)
	rev, err := n.ApplyTraffic(ctx, good, AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	n.states.wait(t, 5*time.Second, "the good document is served", func(s *State) bool { return s.TrafficRevision == rev })

	bombs := storedBombs()
	for i, b := range bombs {
		put, err := raw.Put(ctx, key, b.value)
		if err != nil {
			t.Fatal(err)
		}
		badRev := put.Header.Revision
		st := n.states.wait(t, 10*time.Second, b.name+" is read", func(s *State) bool { return s.Revision >= badRev })
		var rej *RejectedDocumentError
		if !errors.As(st.TrafficError, &rej) || rej.Key != key || rej.Revision != badRev || !strings.Contains(rej.Error(), b.fault) {
			t.Errorf("%s: TrafficError %v, want a *RejectedDocumentError of %s at revision %d saying %q", b.name, st.TrafficError, key, badRev, b.fault)
		}
		if st.TrafficRevision != rev {
			t.Errorf("%s: serving revision %d, want the good one's %d", b.name, st.TrafficRevision, rev)
		}
		sameTraffic(t, b.name+": State().Traffic", st.Traffic, good)
		n.logs.wait(t, time.Second, "stored traffic document refused", "key="+key, fmt.Sprintf("revision=%d", badRev), b.fault)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(fmt.Sprintf(`
# HELP gtmd_cluster_document_rejected_revision The store revision of the traffic document this node refuses, 0 when it serves the stored one.
# TYPE gtmd_cluster_document_rejected_revision gauge
gtmd_cluster_document_rejected_revision %d
# HELP gtmd_cluster_document_rejected_total Stored traffic documents this node read and refused (invalid, or past the parsing limits); it kept serving the one before.
# TYPE gtmd_cluster_document_rejected_total counter
gtmd_cluster_document_rejected_total %d
`, badRev, i+1)), "gtmd_cluster_document_rejected_revision", "gtmd_cluster_document_rejected_total"); err != nil {
			t.Errorf("%s: %v", b.name, err)
		}
		var rrej *RejectedDocumentError
		if _, _, err := n.Traffic(ctx); !errors.As(err, &rrej) || rrej.Revision != badRev {
			t.Errorf("%s: Traffic(): %v, want a *RejectedDocumentError at revision %d", b.name, err, badRev)
		}
	}

	// A node that starts with the last bomb stored (a restart) refuses it
	// as it reads the store, and lives to say so.
	fresh := openNode(t, eps, "fresh")
	fst := fresh.states.wait(t, 10*time.Second, "the fresh node reads the store", func(s *State) bool { return s.Revision > 0 })
	if fst.Traffic != nil || fst.TrafficError == nil {
		t.Errorf("fresh node: traffic %v, error %v; want none and the refusal", fst.Traffic, fst.TrafficError)
	}

	// A valid document written after a bomb is served, and the refusal
	// clears.
	next := loadTraffic(t, withQuorum(0.75))
	rev2, err := n.ApplyTraffic(ctx, next, AnyRevision)
	if err != nil {
		t.Fatal(err)
	}
	st := n.states.wait(t, 5*time.Second, "the next document is served", func(s *State) bool { return s.TrafficRevision == rev2 })
	if st.TrafficError != nil {
		t.Errorf("after a valid document: TrafficError %v", st.TrafficError)
	}
	sameTraffic(t, "after a valid document", st.Traffic, next)
	if got := testutil.ToFloat64(n.metrics.rejectedRevision); got != 0 {
		t.Errorf("gtmd_cluster_document_rejected_revision %v after a valid document, want 0", got)
	}
	fresh.states.wait(t, 5*time.Second, "the fresh node serves the next document", func(s *State) bool { return s.TrafficRevision == rev2 })
}

// TestApplyTrafficCeiling stores documents just under and just over
// config.MaxDocumentBytes (made so by their records) in a real etcd with
// its default request limit: the records are kept apart from the
// document, so both are stored and read back whole. The ceiling now
// holds only for the document without its records.
func TestApplyTrafficCeiling(t *testing.T) {
	eps := clustertest.StartEtcd(t)
	n := openNode(t, eps, "a")
	underDoc, overDoc, err := sizeddoc.Around(config.MaxDocumentBytes)
	if err != nil {
		t.Fatal(err)
	}
	// Parsing and storing 1.5 MB takes a while under the race detector.
	ctx := ctxTimeout(t, time.Minute)
	for _, d := range []sizeddoc.Doc{underDoc, overDoc} {
		doc, err := config.ParseTraffic("doc", d.Source, "")
		if err != nil {
			t.Fatal(err)
		}
		rev, err := n.ApplyTraffic(ctx, doc, AnyRevision)
		if err != nil {
			t.Fatalf("a document of %d bytes: %v", len(d.Source), err)
		}
		got, gotRev, err := n.Traffic(ctx)
		if err != nil || gotRev != rev {
			t.Fatalf("Traffic(): revision %d, %v; want %d", gotRev, err, rev)
		}
		if !SameDocument(got, doc) {
			t.Errorf("a document of %d bytes: read back with %d records, want the %d applied", len(d.Source), len(got.Zones[0].Records), len(doc.Zones[0].Records))
		}
	}
}
