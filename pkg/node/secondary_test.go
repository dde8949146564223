package node

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// xfrSecret is the key the test primary and the nodes share.
const xfrSecret = "eGZyLXNlY3JldC1vZi0zMi1ieXRlcy1mb3ItdGVzdHM="

// testPrimary is a primary name server on loopback: it answers SOA
// queries and AXFR, signed with xfr-key. (unsigned or badly signed
// requests are refused), from records the test changes.
type testPrimary struct {
	addr string
	mu   sync.Mutex
	// serial and records are the zone now; xfrs counts the transfers
	// asked. unsigned leaves the SOA answers unsigned; cut ends a
	// transfer without its closing SOA.
	serial        uint32
	records       []string
	xfrs          int
	unsigned, cut bool
	// otherKey signs the SOA answers with other-key. instead of the
	// request's key.
	otherKey bool
}

func startPrimary(t *testing.T, records ...string) *testPrimary {
	t.Helper()
	p := &testPrimary{serial: 1, records: records}
	// UDP and TCP on one port: the UDP port's TCP twin may be taken.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ln == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close()
			if try == 10 {
				t.Fatal(err)
			}
		}
	}
	p.addr = pc.LocalAddr().String()
	secrets := map[string]string{"xfr-key.": xfrSecret, "other-key.": otherSecret}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: p, TsigSecret: secrets}, {Listener: ln, Handler: p, TsigSecret: secrets}} {
		go func() { _ = srv.ActivateAndServe() }()
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return p
}

// set makes records the zone, with the next serial.
func (p *testPrimary) set(records ...string) {
	p.mu.Lock()
	serial := p.serial + 1
	p.mu.Unlock()
	p.setSerial(serial, records...)
}

// setSerial makes records the zone, with serial.
func (p *testPrimary) setSerial(serial uint32, records ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serial, p.records = serial, records
}

// behave sets how the primary misbehaves.
func (p *testPrimary) behave(unsigned, cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unsigned, p.cut = unsigned, cut
}

func (p *testPrimary) transfers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.xfrs
}

func (p *testPrimary) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg).SetReply(r)
	if r.IsTsig() == nil || w.TsigStatus() != nil {
		m.Rcode = dns.RcodeNotAuth
		_ = w.WriteMsg(m)
		return
	}
	p.mu.Lock()
	soa, err := dns.NewRR(fmt.Sprintf("gtm.test. 300 IN SOA ns.primary.test. h.primary.test. %d 3600 600 86400 60", p.serial))
	if err != nil {
		panic(err)
	}
	rrs := []dns.RR{soa}
	for _, s := range p.records {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		rrs = append(rrs, rr)
	}
	if r.Question[0].Qtype == dns.TypeAXFR {
		p.xfrs++
	}
	unsigned, cut, otherKey := p.unsigned, p.cut, p.otherKey
	p.mu.Unlock()
	ts := r.IsTsig()
	if r.Question[0].Qtype != dns.TypeAXFR {
		m.Authoritative = true
		m.Answer = []dns.RR{soa}
		switch {
		case otherKey:
			m.SetTsig("other-key.", ts.Algorithm, 300, time.Now().Unix())
		case !unsigned:
			m.SetTsig(ts.Hdr.Name, ts.Algorithm, 300, time.Now().Unix())
		}
		_ = w.WriteMsg(m)
		return
	}
	rrs = append(rrs, &dns.NS{Hdr: dns.RR_Header{Name: "gtm.test.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 300}, Ns: "ns.primary.test."})
	if !cut {
		rrs = append(rrs, soa)
	}
	ch := make(chan *dns.Envelope, 1)
	tr := new(dns.Transfer)
	go func() {
		ch <- &dns.Envelope{RR: rrs}
		close(ch)
	}()
	m.SetTsig(ts.Hdr.Name, ts.Algorithm, 300, time.Now().Unix())
	_ = tr.Out(w, r, ch)
	w.Close()
}

// secondaryTraffic is gtm.test. taking its records from the primary at
// addr with key.
func secondaryTraffic(target, addr, key, refresh string) string {
	return strings.Replace(clusterTraffic(target), `    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
`, fmt.Sprintf("    primary: {servers: [%q], key: %s, refresh: %s}\n", addr, key, refresh), 1)
}

// withXFRKey gives the node the primary's key, and another it holds
// for something else.
func withXFRKey(c *config.Node) {
	c.TSIGKeys = []config.TSIGKey{
		{Name: "xfr-key.", Algorithm: config.TSIGHMACSHA256, Secret: xfrSecret},
		{Name: "other-key.", Algorithm: config.TSIGHMACSHA256, Secret: otherSecret},
	}
}

// TestSecondaryZone: a zone whose document names a primary serves the
// primary's records, transferred with TSIG, on every node, the
// document's service beside them; a new serial brings the change, a
// serial unchanged brings no transfer; the primary's SOA, apex NS and
// DNSSEC records are not taken; the zones API refuses to replace the
// records.
func TestSecondaryZone(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	primary := startPrimary(t, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10", "txt.gtm.test. 60 IN TXT \"from the primary\"",
		"host.gtm.test. 60 IN NSEC txt.gtm.test. A NSEC")
	n1 := startTestNodeIn(t, "n1", etcd, writeTraffic(t, secondaryTraffic(target.Addr(), primary.addr, "xfr-key.", "1s")), t.TempDir(), withXFRKey)
	n2 := startTestNodeIn(t, "n2", etcd, "", t.TempDir(), withXFRKey)
	for _, n := range []*liveNode{n1, n2} {
		testwait.Eventually(t, 10*time.Second, n.id+" serves the primary's records", func() bool {
			return strings.Join(lookup(t, n, "host.gtm.test.", dns.TypeA), ",") == "host.gtm.test.\t0\tIN\tA\t192.0.2.10" &&
				len(lookup(t, n, "txt.gtm.test.", dns.TypeTXT)) == 1
		})
		if got := lookup(t, n, "www.gtm.test.", dns.TypeA); len(got) != 1 {
			t.Errorf("%s: the document's service answers %v", n.id, got)
		}
		if got := lookup(t, n, "host.gtm.test.", dns.TypeNSEC); len(got) != 0 {
			t.Errorf("%s: serves the primary's DNSSEC record %v", n.id, got)
		}
		if got := lookup(t, n, "gtm.test.", dns.TypeNS); strings.Join(got, ",") != "gtm.test.\t0\tIN\tNS\tns1.gtm.test." {
			t.Errorf("%s: apex NS %v, want the document's", n.id, got)
		}
		if soa := soaSerial(t, n); soa == 2 || soa == 1 {
			t.Errorf("%s: serves the primary's serial %d", n.id, soa)
		}
	}
	// A serial unchanged: checked every second, not transferred again
	// once each node has transferred it (the second may have served
	// the first's records before its own first transfer).
	testwait.Eventually(t, 10*time.Second, "each node's first transfer", func() bool { return primary.transfers() >= 2 })
	before := primary.transfers()
	time.Sleep(2500 * time.Millisecond)
	if got := primary.transfers(); got != before {
		t.Errorf("%d transfers of an unchanged serial", got-before)
	}
	primary.set("ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.11", "new.gtm.test. 60 IN AAAA 2001:db8::11")
	for _, n := range []*liveNode{n1, n2} {
		testwait.Eventually(t, 10*time.Second, n.id+" serves the primary's change", func() bool {
			return strings.Join(lookup(t, n, "host.gtm.test.", dns.TypeA), ",") == "host.gtm.test.\t0\tIN\tA\t192.0.2.11" &&
				len(lookup(t, n, "new.gtm.test.", dns.TypeAAAA)) == 1 &&
				len(lookup(t, n, "txt.gtm.test.", dns.TypeTXT)) == 0
		})
	}
	var refused map[string]any
	if code := putZone(t, n1, "gtm.test.", "text/dns", "other 60 IN A 192.0.2.99\n", &refused); code != 400 || !strings.Contains(fmt.Sprint(refused), "is a secondary") {
		t.Errorf("PUT of a secondary zone's records: %d %v, want 400 naming the primary", code, refused)
	}
}

// TestSecondaryZoneRefused: a node whose key the primary refuses, or
// whose primary answers unsigned, serves none of the primary's records
// and keeps answering its service; with a key, an unsigned answer is no
// answer, so nothing is transferred.
func TestSecondaryZoneRefused(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	refusing := startPrimary(t, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10")
	unsigned := startPrimary(t, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10")
	unsigned.behave(true, false)
	wrongKey := func(c *config.Node) {
		c.TSIGKeys = []config.TSIGKey{{Name: "xfr-key.", Algorithm: config.TSIGHMACSHA256, Secret: ddnsSecret}}
	}
	n1 := startTestNodeIn(t, "n1", etcd, writeTraffic(t, secondaryTraffic(target.Addr(), refusing.addr, "xfr-key.", "1s")), t.TempDir(), wrongKey)
	testwait.Eventually(t, 10*time.Second, "the service answers", func() bool { return len(lookup(t, n1, "www.gtm.test.", dns.TypeA)) == 1 })
	time.Sleep(2 * time.Second)
	if got := lookup(t, n1, "host.gtm.test.", dns.TypeA); len(got) != 0 {
		t.Errorf("the primary's record served with a refused key: %v", got)
	}

	etcd2 := clustertest.StartEtcd(t)
	n2 := startTestNodeIn(t, "n2", etcd2, writeTraffic(t, secondaryTraffic(target.Addr(), unsigned.addr, "xfr-key.", "1s")), t.TempDir(), withXFRKey)
	testwait.Eventually(t, 10*time.Second, "the service answers", func() bool { return len(lookup(t, n2, "www.gtm.test.", dns.TypeA)) == 1 })
	time.Sleep(2 * time.Second)
	if got := lookup(t, n2, "host.gtm.test.", dns.TypeA); len(got) != 0 {
		t.Errorf("the primary's record served from unsigned answers: %v", got)
	}
	if got := unsigned.transfers(); got != 0 {
		t.Errorf("%d transfers after unsigned SOA answers", got)
	}

	// Signed, but with a key the node holds for something else.
	otherKey := startPrimary(t, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10")
	otherKey.mu.Lock()
	otherKey.otherKey = true
	otherKey.mu.Unlock()
	etcd3 := clustertest.StartEtcd(t)
	n3 := startTestNodeIn(t, "n3", etcd3, writeTraffic(t, secondaryTraffic(target.Addr(), otherKey.addr, "xfr-key.", "1s")), t.TempDir(), withXFRKey)
	testwait.Eventually(t, 10*time.Second, "the service answers", func() bool { return len(lookup(t, n3, "www.gtm.test.", dns.TypeA)) == 1 })
	time.Sleep(2 * time.Second)
	if got := otherKey.transfers(); got != 0 {
		t.Errorf("%d transfers after SOA answers signed with another key", got)
	}
}

// TestSecondaryZoneRefusedSerial: records the rules refuse (an address
// at the document's service name) change nothing and are not
// transferred again at every refresh; the primary's next serial is.
func TestSecondaryZoneRefusedSerial(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	primary := startPrimary(t, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10", "www.gtm.test. 60 IN A 192.0.2.80")
	n := startTestNodeIn(t, "n1", etcd, writeTraffic(t, secondaryTraffic(target.Addr(), primary.addr, "xfr-key.", "1s")), t.TempDir(), withXFRKey)
	testwait.Eventually(t, 10*time.Second, "the refused serial transferred once", func() bool { return primary.transfers() == 1 })
	time.Sleep(3 * time.Second)
	if got := primary.transfers(); got != 1 {
		t.Errorf("%d transfers of a refused serial", got)
	}
	if got := lookup(t, n, "host.gtm.test.", dns.TypeA); len(got) != 0 {
		t.Errorf("refused records served: %v", got)
	}
	primary.set("ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10")
	testwait.Eventually(t, 10*time.Second, "the next serial served", func() bool { return len(lookup(t, n, "host.gtm.test.", dns.TypeA)) == 1 })
}

// TestSecondaryZoneKeepsWhole: a transfer that ends without its closing
// SOA changes nothing, nor does a serial older than the one transferred;
// the next whole transfer of a newer serial does.
func TestSecondaryZoneKeepsWhole(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	primary := startPrimary(t, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10", "txt.gtm.test. 60 IN TXT \"kept\"")
	n := startTestNodeIn(t, "n1", etcd, writeTraffic(t, secondaryTraffic(target.Addr(), primary.addr, "xfr-key.", "1s")), t.TempDir(), withXFRKey)
	serves := func(host string, txt int) func() bool {
		return func() bool {
			return strings.Join(lookup(t, n, "host.gtm.test.", dns.TypeA), ",") == "host.gtm.test.\t0\tIN\tA\t"+host &&
				len(lookup(t, n, "txt.gtm.test.", dns.TypeTXT)) == txt
		}
	}
	testwait.Eventually(t, 10*time.Second, "the first transfer served", serves("192.0.2.10", 1))

	primary.behave(false, true)
	primary.setSerial(5, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.15")
	testwait.Eventually(t, 10*time.Second, "a cut transfer tried", func() bool { return primary.transfers() >= 3 })
	if !serves("192.0.2.10", 1)() {
		t.Fatal("a transfer without its closing SOA changed the records")
	}

	primary.behave(false, false)
	testwait.Eventually(t, 15*time.Second, "the whole transfer served", serves("192.0.2.15", 0))

	before := primary.transfers()
	primary.setSerial(4, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.14")
	time.Sleep(2500 * time.Millisecond)
	if got := primary.transfers(); got != before {
		t.Errorf("%d transfers of an older serial", got-before)
	}
	if !serves("192.0.2.15", 0)() {
		t.Error("an older serial changed the records")
	}
}

// TestSecondaryZoneNotified: a NOTIFY from the primary, signed with the
// zone's key, brings a change at once, though the refresh is an hour
// away; one unsigned, signed with a key that does not verify, from
// another address or for a zone that is no secondary here changes
// nothing and is answered REFUSED or NOTAUTH.
func TestSecondaryZoneNotified(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	primary := startPrimary(t, "ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.10")
	n := startTestNodeIn(t, "n1", etcd, writeTraffic(t, secondaryTraffic(target.Addr(), primary.addr, "xfr-key.", "1h")), t.TempDir(), withXFRKey)
	served := func(addr string) bool {
		return strings.Join(lookup(t, n, "host.gtm.test.", dns.TypeA), ",") == "host.gtm.test.\t0\tIN\tA\t"+addr
	}
	testwait.Eventually(t, 10*time.Second, "the first transfer served", func() bool { return served("192.0.2.10") })
	primary.set("ns1.gtm.test. 60 IN A 192.0.2.53", "host.gtm.test. 60 IN A 192.0.2.12")
	notify := func(zone, key, secret, from string) *dns.Msg {
		t.Helper()
		m := new(dns.Msg).SetNotify(zone)
		c := &dns.Client{Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
		if key != "" {
			c.TsigSecret = map[string]string{key: secret}
			m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix())
		}
		resp, _, err := c.Exchange(m, n.dnsAddr())
		if resp == nil {
			t.Fatalf("notify: %v", err)
		}
		return resp
	}
	for _, c := range []struct {
		name, zone, key, secret, from string
		rcode                         int
	}{
		{"unsigned", "gtm.test.", "", "", "127.0.0.1", dns.RcodeRefused},
		{"a signature that does not verify", "gtm.test.", "xfr-key.", ddnsSecret, "127.0.0.1", dns.RcodeNotAuth},
		{"from another address", "gtm.test.", "xfr-key.", xfrSecret, "127.0.0.2", dns.RcodeRefused},
		{"signed with another key the node holds", "gtm.test.", "other-key.", otherSecret, "127.0.0.1", dns.RcodeRefused},
		{"no secondary zone here", "other.test.", "xfr-key.", xfrSecret, "127.0.0.1", dns.RcodeNotAuth},
	} {
		if got := notify(c.zone, c.key, c.secret, c.from).Rcode; got != c.rcode {
			t.Errorf("notify %s: %s, want %s", c.name, dns.RcodeToString[got], dns.RcodeToString[c.rcode])
		}
	}
	time.Sleep(time.Second)
	if !served("192.0.2.10") {
		t.Fatal("a refused notify brought the change")
	}
	resp := notify("gtm.test.", "xfr-key.", xfrSecret, "127.0.0.1")
	if resp.Rcode != dns.RcodeSuccess || !resp.Authoritative || resp.Opcode != dns.OpcodeNotify || resp.IsTsig() == nil {
		t.Fatalf("notify from the primary: %s, AA %v, opcode %d, signed %v", dns.RcodeToString[resp.Rcode], resp.Authoritative, resp.Opcode, resp.IsTsig() != nil)
	}
	testwait.Eventually(t, 5*time.Second, "the change served after the notify", func() bool { return served("192.0.2.12") })
}
