package e2e

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The unsigned child the signed zone delegates to (the traffic document's
// NS and glue for unsigned.gtm.test.), and the address it answers.
const (
	childZone = "unsigned." + zone
	childName = "x." + childZone
	childA    = "192.0.2.99"
)

// startChild serves the unsigned child zone on ip:53 (glue carries no
// port) until the test ends: a customer's own server, not signed.
func startChild(t *testing.T, ip string) {
	t.Helper()
	records := map[string][]string{}
	for _, line := range []string{
		childZone + " 5 IN SOA ns." + childZone + " hostmaster." + childZone + " 1 60 10 600 5",
		childZone + " 5 IN NS ns." + childZone,
		"ns." + childZone + " 5 IN A " + ip,
		childName + " 5 IN A " + childA,
	} {
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatal(err)
		}
		key := strings.ToLower(rr.Header().Name)
		records[key] = append(records[key], rr.String())
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg).SetReply(req)
		m.Authoritative = true
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		at, ok := records[name]
		if !ok && !dns.IsSubDomain(childZone, name) {
			m.SetRcode(req, dns.RcodeRefused)
			_ = w.WriteMsg(m)
			return
		}
		for _, s := range at {
			if rr, _ := dns.NewRR(s); rr != nil && rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		if len(m.Answer) == 0 {
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			soa, _ := dns.NewRR(records[childZone][0])
			m.Ns = append(m.Ns, soa)
		}
		_ = w.WriteMsg(m)
	})
	for _, network := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: net.JoinHostPort(ip, "53"), Net: network, Handler: handler}
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("the unsigned child on %s/%s: %v", ip, network, err)
		}
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
}

// checkUnsignedChild checks the delegation to an unsigned child: Unbound
// proves from the parent's signed NSEC that it has no DS (AD on DS
// NODATA) and resolves the child insecurely (an answer without AD, not
// SERVFAIL); each node's referral holds the NS and an NSEC at the cut
// whose bitmap has NS and no DS, signed by the zone's key.
func (e *env) checkUnsignedChild(t *testing.T) {
	t.Helper()
	startChild(t, e.ip(6))
	if _, err := secure(e.resAddr, ask{name: childZone, qtype: dns.TypeDS}, 5*time.Second); err != nil {
		t.Errorf("no DS for the unsigned child, proven: %v", err)
	}
	r, _, err := exchange(e.resAddr, ask{name: childName, qtype: dns.TypeA, rd: true, do: true}, 5*time.Second)
	switch {
	case err != nil:
		t.Errorf("%s through Unbound: %v", childName, err)
	case r.Rcode != dns.RcodeSuccess || !slices.Equal(addrs(r), []string{childA}) || r.AuthenticatedData:
		t.Errorf("%s through Unbound: %s AD %v %s, want NOERROR %s without AD (insecure)\nvalidation log:\n%s",
			childName, dns.RcodeToString[r.Rcode], r.AuthenticatedData, show(addrs(r)), childA, validationLog(e.resolver.log, 5))
	}
	ds := e.signed.parentDS()
	for _, n := range e.nodes {
		if err := referral(n, ds); err != nil {
			t.Errorf("%s: referral to %s: %v", n.id, childZone, err)
		}
	}
}

// referral asks n for a name in the child with DO and checks the
// referral's proof that the child has no DS.
func referral(n *node, ds []*dns.DS) error {
	r, _, err := exchange(n.dns, ask{name: childName, qtype: dns.TypeA, do: true}, time.Second)
	if err != nil {
		return err
	}
	if r.Rcode != dns.RcodeSuccess || r.Authoritative || len(r.Answer) != 0 {
		return fmt.Errorf("%s aa %v, answer %s: want a referral", dns.RcodeToString[r.Rcode], r.Authoritative, brief(r.Answer))
	}
	keys, err := zoneKeys(n.dns, ds, time.Now())
	if err != nil {
		return err
	}
	var nsec []dns.RR
	hasNS := false
	for _, rr := range r.Ns {
		switch v := rr.(type) {
		case *dns.NS:
			hasNS = hasNS || strings.EqualFold(v.Hdr.Name, childZone)
		case *dns.NSEC:
			if !strings.EqualFold(v.Hdr.Name, childZone) || !slices.Contains(v.TypeBitMap, dns.TypeNS) || slices.Contains(v.TypeBitMap, dns.TypeDS) {
				return fmt.Errorf("NSEC %s: want one at %s with NS and without DS", v, childZone)
			}
			nsec = append(nsec, v)
		case *dns.DS:
			return fmt.Errorf("a DS for an unsigned child: %s", v)
		}
	}
	if !hasNS || len(nsec) != 1 {
		return fmt.Errorf("authority %s: want the child's NS and one NSEC", brief(r.Ns))
	}
	_, err = verifyRRset(nsec, r.Ns, keys, time.Now())
	return err
}
