package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// signedTraffic is clusterTraffic with gtm.test. signed, and TTLs short
// enough for a rollover to run its course in seconds.
func signedTraffic(target string) string {
	doc := clusterTraffic(target)
	doc = strings.Replace(doc, "    ttl: 300\n", "    ttl: 2\n", 1)
	doc = strings.Replace(doc, "    ns: [ns1.gtm.test.]\n",
		"    ns: [ns1.gtm.test.]\n    dnssec: {enabled: true, propagation_delay: 1s, parent_ds_ttl: 1}\n", 1)
	return strings.Replace(doc, "    ttl: 5\n", "    ttl: 1\n", 1)
}

// withKEK gives the node the key-encryption key in file.
func withKEK(file string) func(*config.Node) {
	return func(c *config.Node) { c.DNSSEC.KeyEncryptionKeyFile = file }
}

// writeKEK writes a fresh key-encryption key file.
func writeKEK(t *testing.T) string {
	t.Helper()
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "dnssec.kek", hex.EncodeToString(k[:])+"\n")
}

// askDO asks server for name and qtype with the DO bit.
func askDO(server, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg).SetQuestion(name, qtype)
	q.SetEdns0(1232, true)
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, server)
	return resp, err
}

// validated asks server for www.gtm.test. A with DO and checks the
// answer against the DNSKEY RRset the same node serves, itself signed by
// one of its keys. It returns the tags of the keys served, or why the
// answer does not validate.
func validated(server string) ([]uint16, error) {
	keys, err := askDO(server, "gtm.test.", dns.TypeDNSKEY)
	if err != nil {
		return nil, err
	}
	var set []dns.RR
	byTag := map[uint16]*dns.DNSKEY{}
	var tags []uint16
	for _, rr := range keys.Answer {
		if k, ok := rr.(*dns.DNSKEY); ok {
			set = append(set, k)
			byTag[k.KeyTag()] = k
			tags = append(tags, k.KeyTag())
		}
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("no DNSKEY (rcode %s)", dns.RcodeToString[keys.Rcode])
	}
	check := func(what string, m *dns.Msg, rrtype uint16) error {
		var data []dns.RR
		var sigs []*dns.RRSIG
		for _, rr := range m.Answer {
			if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == rrtype {
				sigs = append(sigs, s)
			} else if rr.Header().Rrtype == rrtype {
				data = append(data, rr)
			}
		}
		if len(data) == 0 || len(sigs) == 0 {
			return fmt.Errorf("%s: %d records, %d signatures:\n%v", what, len(data), len(sigs), m)
		}
		for _, s := range sigs {
			k := byTag[s.KeyTag]
			if k == nil {
				return fmt.Errorf("%s: signed by key %d, which the DNSKEY RRset %v does not hold", what, s.KeyTag, tags)
			}
			if err := s.Verify(k, data); err != nil {
				return fmt.Errorf("%s: the signature by key %d does not verify: %v", what, s.KeyTag, err)
			}
		}
		return nil
	}
	if err := check("DNSKEY", keys, dns.TypeDNSKEY); err != nil {
		return nil, err
	}
	www, err := askDO(server, "www.gtm.test.", dns.TypeA)
	if err != nil {
		return nil, err
	}
	return tags, check("www.gtm.test. A", www, dns.TypeA)
}

// TestSignedZoneAcrossNodes: two nodes with the same key-encryption key
// sign with the same keys, made once; a node without it answers
// SERVFAIL and says why in /readyz; a CSK rollover started on one node
// and confirmed on the other runs its course, every answer validating
// throughout.
func TestSignedZoneAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs etcd and three nodes")
	}
	etcd := clustertest.StartEtcd(t)
	kek := writeKEK(t)
	file := writeTraffic(t, signedTraffic(startTarget(t).Addr()))
	n1 := startTestNodeIn(t, "n1", etcd, file, t.TempDir(), withKEK(kek))
	n2 := startTestNodeIn(t, "n2", etcd, "", t.TempDir(), withKEK(kek))
	n3 := startTestNode(t, "n3", etcd, "")

	var first []uint16
	for _, n := range []*liveNode{n1, n2} {
		testwait.Eventually(t, 15*time.Second, n.id+" signs the zone", func() bool {
			tags, err := validated(n.dnsAddr())
			if err == nil {
				first = tags
			}
			return err == nil
		})
	}
	if len(first) != 1 {
		t.Fatalf("the zone has keys %v, want one CSK", first)
	}
	ctx := context.Background()
	ds, err := backend{n2.Node}.DNSSECDS(ctx, "GTM.test")
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := askDO(n1.dnsAddr(), "gtm.test.", dns.TypeDNSKEY)
	want := keys.Answer[0].(*dns.DNSKEY).ToDS(dns.SHA256)
	want.Hdr.Ttl = 1
	if got := strings.Fields(ds); strings.Join(got, " ") != strings.Join(strings.Fields(want.String()), " ") {
		t.Errorf("DS %q, want %q", ds, want.String())
	}

	// Without the key-encryption key: SERVFAIL, and /readyz says why.
	testwait.Eventually(t, 10*time.Second, "n3 serves the document", func() bool { return n3.handler.Snapshot() != nil })
	if resp, err := askDO(n3.dnsAddr(), "www.gtm.test.", dns.TypeA); err != nil || resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("n3 without the key-encryption key answered %v, %v; want SERVFAIL", resp, err)
	}
	if _, degraded := n3.Ready(); !strings.Contains(degraded, "zone gtm.test. cannot be signed") || !strings.Contains(degraded, "SERVFAIL") {
		t.Errorf("n3's degraded reason %q does not name the zone it cannot sign", degraded)
	}

	// A rollover, watched by a validating client on both nodes.
	var mu sync.Mutex
	var failures []string
	var checks int
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			for _, n := range []*liveNode{n1, n2} {
				_, err := validated(n.dnsAddr())
				mu.Lock()
				checks++
				if err != nil {
					failures = append(failures, n.id+": "+err.Error())
				}
				mu.Unlock()
			}
		}
	}()
	st, err := backend{n1.Node}.DNSSECRollover(admin.WithCaller(ctx, admin.Caller{Name: "ops", From: "127.0.0.1", Reason: "yearly"}), "gtm.test.")
	if err != nil {
		t.Fatal(err)
	}
	if st.Rollover == nil || len(st.Keys) != 2 {
		t.Fatalf("after rollover: %+v", st)
	}
	if _, err := (backend{n2.Node}).DNSSECRollover(ctx, "gtm.test."); err == nil || !strings.Contains(err.Error(), admin.ErrConflict.Error()) {
		t.Errorf("a second rollover: %v, want a conflict", err)
	}
	testwait.Eventually(t, 30*time.Second, "the roll waits for the DS at the parent", func() bool {
		st, err := backend{n2.Node}.DNSSECStatus(ctx, "gtm.test.")
		return err == nil && st.Rollover != nil && st.Rollover.WaitingFor == admin.DNSSECWaitingForDS
	})
	// The status reads the store; the answers follow through the watch.
	testwait.Eventually(t, 10*time.Second, "n2 publishes CDS while the new DS is pending", func() bool {
		cds, err := askDO(n2.dnsAddr(), "gtm.test.", dns.TypeCDS)
		return err == nil && len(cds.Answer) > 0
	})
	if _, err := (backend{n2.Node}).DNSSECSubmitted(ctx, "gtm.test."); err != nil {
		t.Fatal(err)
	}
	// The audit trail has the rollover with its caller, and the DS
	// submitted by an in-process call; the refused second rollover is
	// not in it.
	trail, err := backend{n1.Node}.Audit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range trail {
		got = append(got, strings.Join([]string{e.Who, e.From, e.Action, e.Target, e.Reason, e.Node}, " "))
	}
	if want := []string{"ops 127.0.0.1 dnssec-rollover gtm.test. yearly n1", "in-process  dnssec-submitted gtm.test.  n2"}; !slices.Equal(got, want) {
		t.Errorf("audit trail %q, want %q", got, want)
	}
	testwait.Eventually(t, 40*time.Second, "the old key is gone", func() bool {
		st, err := backend{n1.Node}.DNSSECStatus(ctx, "gtm.test.")
		return err == nil && st.Rollover == nil && len(st.Keys) == 1 && st.Keys[0].Tag != first[0]
	})
	testwait.Eventually(t, 10*time.Second, "both nodes serve the new key alone", func() bool {
		for _, n := range []*liveNode{n1, n2} {
			tags, err := validated(n.dnsAddr())
			if err != nil || len(tags) != 1 || tags[0] == first[0] {
				return false
			}
		}
		return true
	})
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Errorf("%d of %d checks during the roll did not validate; first: %s", len(failures), checks, failures[0])
	}
	if checks < 10 {
		t.Errorf("only %d checks ran during the roll", checks)
	}
}

// TestSignedRestartWhileEtcdDown: a node restarted while etcd is away
// signs with the keys it kept beside the document, the same keys.
func TestSignedRestartWhileEtcdDown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs etcd and a node twice")
	}
	etcd := clustertest.StartCluster(t, 1)
	kek := writeKEK(t)
	file := writeTraffic(t, signedTraffic(startTarget(t).Addr()))
	dir := t.TempDir()
	first := startTestNodeIn(t, "n1", etcd.Endpoints(), file, dir, withKEK(kek))
	var tags []uint16
	testwait.Eventually(t, 15*time.Second, "n1 signs", func() bool {
		var err error
		tags, err = validated(first.dnsAddr())
		return err == nil
	})
	first.stop()
	etcd.Stop(0)

	again := startTestNodeIn(t, "n1", etcd.Endpoints(), "", dir, withKEK(kek))
	got, err := validated(again.dnsAddr())
	if err != nil {
		t.Fatalf("restarted without etcd: %v", err)
	}
	if !slices.Equal(got, tags) {
		t.Errorf("restarted without etcd, the node signs with keys %v, want %v", got, tags)
	}
}

// TestSignedZoneStoredTTL: a signed zone's key rollovers wait for the
// largest TTL of its records, those stored apart from the document (by
// the zones API or UPDATE) included.
func TestSignedZoneStoredTTL(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	n := startTestNodeIn(t, "n1", etcd, writeTraffic(t, signedTraffic(startTarget(t).Addr())), t.TempDir(), withKEK(writeKEK(t)))
	maxTTL := func() uint32 {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.signing.wanted["gtm.test."].MaxTTL
	}
	testwait.Eventually(t, 10*time.Second, "n1 serves the signed zone", func() bool { return maxTTL() != 0 })
	before := maxTTL()
	if code := putZone(t, n, "gtm.test", "text/dns", "long 86400 IN TXT \"cached for a day\"\n", nil); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}
	testwait.Eventually(t, 10*time.Second, "the rollover timings take the stored record's TTL", func() bool { return maxTTL() == 86400 })
	if before >= 86400 {
		t.Errorf("the document alone already had the largest TTL %d: the test proves nothing", before)
	}
}
