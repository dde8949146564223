package node

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// buildsOf reads how many snapshots of kind n made
// (gtmd_snapshot_build_seconds).
func buildsOf(t *testing.T, n *Node, kind string) uint64 {
	t.Helper()
	count, _ := histogramSeries(t, n, "gtmd_snapshot_build_seconds", "kind", kind)
	return count
}

// rcodeOf asks n for name and type and returns the rcode and how many
// answers came.
func rcodeOf(t *testing.T, n *liveNode, name string, qtype uint16) (int, int) {
	t.Helper()
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(new(dns.Msg).SetQuestion(name, qtype), n.dnsAddr())
	if err != nil {
		return -1, 0
	}
	return resp.Rcode, len(resp.Answer)
}

// TestUpdatesChangeTheServedSnapshot: UPDATEs of a few RRsets are served
// by changing the snapshot served, not by building it whole (what makes
// an UPDATE to a zone of a million records quick), on the node that
// took them and on another: a deep name comes with its empty
// non-terminals and goes with them, and the SOA serial follows.
func TestUpdatesChangeTheServedSnapshot(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	n1 := startTestNodeIn(t, "n1", etcd, writeTraffic(t, updateTraffic(target.Addr())), t.TempDir(), withUpdateKeys)
	n2 := startTestNodeIn(t, "n2", etcd, "", t.TempDir(), withUpdateKeys)
	nodes := []*liveNode{n1, n2}
	for _, n := range nodes {
		testwait.Eventually(t, 10*time.Second, n.id+" answers", func() bool { return soaSerial(t, n) > 0 })
	}
	whole := map[string]uint64{}
	for _, n := range nodes {
		whole[n.id] = buildsOf(t, n.Node, buildWhole)
	}
	update := func(build func(m *dns.Msg)) {
		t.Helper()
		if resp := signedUpdate(t, n1.dnsAddr(), "udp", "ddns-key.", ddnsSecret, newUpdate(build)); resp.Rcode != dns.RcodeSuccess {
			t.Fatalf("update: %s", dns.RcodeToString[resp.Rcode])
		}
	}
	type want struct {
		name    string
		qtype   uint16
		rcode   int
		answers int
	}
	serves := func(step string, serial uint32, wants ...want) {
		t.Helper()
		for _, n := range nodes {
			testwait.Eventually(t, 5*time.Second, n.id+" serves "+step, func() bool {
				if soaSerial(t, n) < serial {
					return false
				}
				for _, w := range wants {
					if rc, an := rcodeOf(t, n, w.name, w.qtype); rc != w.rcode || an != w.answers {
						return false
					}
				}
				return true
			})
		}
	}
	serial := soaSerial(t, n1)
	update(func(m *dns.Msg) { m.Insert(rrs(t, "a.b.deep.gtm.test. 300 IN A 192.0.2.70")) })
	serves("a deep name", serial+1,
		want{"a.b.deep.gtm.test.", dns.TypeA, dns.RcodeSuccess, 1},
		want{"b.deep.gtm.test.", dns.TypeA, dns.RcodeSuccess, 0},
		want{"deep.gtm.test.", dns.TypeTXT, dns.RcodeSuccess, 0})
	serial = soaSerial(t, n1)
	update(func(m *dns.Msg) {
		m.Insert(rrs(t, "b.deep.gtm.test. 300 IN TXT \"between\""))
		m.RemoveRRset(rrs(t, "a.b.deep.gtm.test. 0 IN A 0.0.0.0"))
	})
	serves("the deep name gone, its parent holding a record", serial+1,
		want{"a.b.deep.gtm.test.", dns.TypeA, dns.RcodeNameError, 0},
		want{"b.deep.gtm.test.", dns.TypeTXT, dns.RcodeSuccess, 1},
		want{"deep.gtm.test.", dns.TypeA, dns.RcodeSuccess, 0})
	serial = soaSerial(t, n1)
	update(func(m *dns.Msg) { m.RemoveName(rrs(t, "b.deep.gtm.test. 0 IN ANY")) })
	serves("every name gone", serial+1,
		want{"b.deep.gtm.test.", dns.TypeTXT, dns.RcodeNameError, 0},
		want{"deep.gtm.test.", dns.TypeA, dns.RcodeNameError, 0},
		want{"fixed.gtm.test.", dns.TypeTXT, dns.RcodeSuccess, 1})
	for _, n := range nodes {
		if got := buildsOf(t, n.Node, buildWhole); got != whole[n.id] {
			t.Errorf("%s built its snapshot whole %d times for three updates", n.id, got-whole[n.id])
		}
		if got := buildsOf(t, n.Node, buildChanges); got < 3 {
			t.Errorf("%s changed its snapshot %d times for three updates, want 3", n.id, got)
		}
	}
}
