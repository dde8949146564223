package e2e

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// forgedA is the address the tampering proxy puts in the answers it
// changes (TEST-NET-1, never an answer of the zone).
const forgedA = "192.0.2.66"

// tamperProxy passes every question on to a recursive resolver and hands
// back its answer, except that it changes the address of the A records
// of one name: what an attacker on the path does. The RRSIGs stay as gtmd
// made them, so they no longer match the data.
//
// Why a proxy in front of a second Unbound that forwards to it, rather
// than a fourth name server the root delegates to: a validating resolver
// that meets a bogus answer retries the zone's other name servers, which
// it learns from the child's NS records, so a delegation to a lying
// server beside honest ones proves nothing, and one to it alone changes
// the delegation the other scenarios use. A forwarder has one way out:
// every record, keys and DS included, comes through the proxy, and only
// the one name's data is forged. That Unbound must answer SERVFAIL for
// that name and validate the rest.
type tamperProxy struct {
	upstream string // the resolver it passes questions to, IP:port
	name     string // the name whose A records it changes
	addr     string // where it listens, IP:port (UDP and TCP)
	tampered atomic.Int64
}

// startTamperProxy listens on ip (a free port, UDP and TCP) until the
// test ends.
func startTamperProxy(t *testing.T, ip, upstream, name string) *tamperProxy {
	t.Helper()
	p := &tamperProxy{upstream: upstream, name: name}
	pc, l := listenBoth(t, ip)
	p.addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: p}, {Listener: l, Handler: p}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return p
}

// listenBoth opens a UDP socket on a free port of ip and a TCP listener
// on the same port.
func listenBoth(t *testing.T, ip string) (net.PacketConn, net.Listener) {
	t.Helper()
	var last error
	for range 10 {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return pc, l
		}
		pc.Close()
		last = err
	}
	t.Fatalf("no port free for both UDP and TCP on %s: %v", ip, last)
	return nil, nil
}

// ServeDNS passes the question on and forges the one name's addresses.
func (p *tamperProxy) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	c := &dns.Client{Net: "udp", Timeout: 4 * time.Second}
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		c.Net = "tcp"
	}
	r, _, err := c.Exchange(req, p.upstream)
	if err == nil && r.Truncated && c.Net == "udp" {
		c.Net = "tcp"
		r, _, err = c.Exchange(req, p.upstream)
	}
	if err != nil {
		r = new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && strings.EqualFold(a.Hdr.Name, p.name) {
			a.A = net.ParseIP(forgedA)
			p.tampered.Add(1)
		}
	}
	r.Id = req.Id
	_ = w.WriteMsg(r)
}

// Scenario 2: an answer changed on its way (the A record's address, its
// RRSIG left as gtmd made it) is rejected: a validating Unbound that
// gets its answers through the tampering proxy answers SERVFAIL for that
// name and validates every other; delv, asking the proxy, does not
// validate it either.
func (e *env) scenarioTampered(t *testing.T) {
	const sc = "2 tampered answer"
	p := startTamperProxy(t, e.ip(5), e.resAddr, wwwName)
	ip := e.ip(21)
	name := "unbound-via-proxy"
	_, addr := e.runUnbound(t, e.signed.tools["unbound"], name, ip, freePort(t, ip), strings.Replace(p.addr, ":", "@", 1))
	log := e.dir + "/" + name + ".log"

	// The same path validates what it leaves alone: the chain, keys and
	// DS included, comes through the proxy.
	for _, q := range []ask{apiFrom(usClient, true), {name: zone, qtype: dns.TypeDNSKEY}, {name: missingName(), qtype: dns.TypeA}} {
		if _, err := secure(addr, q, 5*time.Second, dns.RcodeSuccess, dns.RcodeNameError); err != nil {
			t.Errorf("through the proxy, untouched: %v\nvalidation log:\n%s", err, validationLog(log, 5))
		}
	}
	r, _, err := exchange(addr, ask{name: wwwName, qtype: dns.TypeA, ecs: usClient, rd: true, do: true}, 10*time.Second)
	switch {
	case err != nil:
		t.Errorf("www A through the proxy: %v", err)
	case p.tampered.Load() == 0:
		t.Errorf("the proxy changed no answer: the test proves nothing (answer %s)", brief(r.Answer))
	case r.Rcode != dns.RcodeServerFailure:
		t.Errorf("www A, forged to %s on the way: %s AD %v %s, want SERVFAIL", forgedA, dns.RcodeToString[r.Rcode], r.AuthenticatedData, brief(r.Answer))
	}
	rcode := "no answer"
	if r != nil {
		rcode = dns.RcodeToString[r.Rcode]
	}
	vlog := validationLog(log, 3)
	t.Logf("www A forged to %s: Unbound answered %s; its validation log:\n%s", forgedA, rcode, vlog)
	if !strings.Contains(vlog, strings.TrimSuffix(wwwName, ".")) {
		t.Errorf("Unbound's log has no validation failure for %s:\n%s", wwwName, vlog)
	}
	e.tm.addText(sc, "www A forged on the way → validating Unbound answers", rcode, "SERVFAIL", fmt.Sprintf("%d answers forged", p.tampered.Load()))

	// delv exits 0 and says why it failed.
	out, _ := e.delv(p.addr, wwwName, "A")
	if strings.Contains(out, "fully validated") || !strings.Contains(out, "resolution failed") {
		t.Errorf("delv through the proxy, www A forged: want resolution failed:\n%s", out)
	}
	t.Logf("delv @%s %s A (forged):\n%s", p.addr, wwwName, out)
	e.tm.addText(sc, "www A forged on the way → delv", lineWith(out, "resolution failed"), "resolution failed", "")
}

// lineWith is the first line of s that holds sub (trimmed), for a table
// cell; "" when none does.
func lineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			return strings.TrimSpace(strings.TrimLeft(line, ";"))
		}
	}
	return ""
}
