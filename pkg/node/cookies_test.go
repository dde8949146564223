package node

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// askWithCookie asks server for name A with a cookie option (hex: the
// client cookie, then a server cookie if any) and returns the rcode and
// the cookie of the answer, "" if it carries none.
func askWithCookie(t *testing.T, server, name, cookie string) (int, string) {
	t.Helper()
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	q.SetEdns0(1232, false)
	o := q.IsEdns0()
	o.Option = append(o.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: cookie})
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, server)
	if err != nil {
		t.Fatalf("asking %s: %v", server, err)
	}
	if opt := resp.IsEdns0(); opt != nil {
		for _, e := range opt.Option {
			if c, ok := e.(*dns.EDNS0_COOKIE); ok {
				return resp.Rcode, c.Cookie
			}
		}
	}
	return resp.Rcode, ""
}

// TestCookiesAcrossNodes: a server cookie one node gives is good at
// another of the cluster, as they share the secret through the store.
// A node keeps a valid cookie that is not yet due for renewal (echoes
// it), and answers any other with one of its own.
func TestCookiesAcrossNodes(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	file := writeTraffic(t, clusterTraffic(startTarget(t).Addr()))
	n1 := startTestNode(t, "n1", etcd, file)
	n2 := startTestNode(t, "n2", etcd, "")
	for _, n := range []*liveNode{n1, n2} {
		testwait.Eventually(t, 10*time.Second, n.id+" serves the zone", func() bool { return soaSerial(t, n) != 0 })
	}

	const client = "0102030405060708"
	// Until both have the cluster's secret, each has a random one of its
	// own; the store brings them together within moments.
	var fromN1 string
	testwait.Eventually(t, 10*time.Second, "n2 keeps the cookie n1 gave", func() bool {
		rcode, c := askWithCookie(t, n1.dnsAddr(), "www.gtm.test.", client)
		if rcode != dns.RcodeSuccess || len(c) != 2*24 || c[:16] != client {
			t.Fatalf("n1 answered %s with cookie %q; want NOERROR with a 16-byte server cookie for our client cookie", dns.RcodeToString[rcode], c)
		}
		fromN1 = c
		rcode, back := askWithCookie(t, n2.dnsAddr(), "www.gtm.test.", c)
		return rcode == dns.RcodeSuccess && back == c
	})
	// The other way round, too.
	_, fromN2 := askWithCookie(t, n2.dnsAddr(), "www.gtm.test.", client)
	if rcode, back := askWithCookie(t, n1.dnsAddr(), "www.gtm.test.", fromN2); rcode != dns.RcodeSuccess || back != fromN2 {
		t.Errorf("n1 answered n2's cookie %s with %s %s; want it kept", fromN2, dns.RcodeToString[rcode], back)
	}
	// A server cookie the cluster did not make is replaced.
	b, err := hex.DecodeString(fromN1)
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(b)
	forged[len(forged)-1] ^= 1
	if _, back := askWithCookie(t, n2.dnsAddr(), "www.gtm.test.", hex.EncodeToString(forged)); back == hex.EncodeToString(forged) || back == "" {
		t.Errorf("n2 kept the forged cookie %x (answered %q)", forged, back)
	}
}
