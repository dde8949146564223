package node

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// TestExternalDNSFlow plays what Kubernetes external-dns' rfc2136
// provider sends, built as it builds them with miekg/dns: it lists the
// zone by AXFR with its key, creates an A record with its ownership TXT
// records (at the name, and at the "a-" prefixed name of newer
// registries) in one message, changes the address by deleting the RRset
// and adding the new record in one message, and deletes the records
// one by one (class NONE). After each, the node serves what it sent.
func TestExternalDNSFlow(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	doc := strings.Replace(updateTraffic(target.Addr()), "    update_policy:\n", "    allow_transfer: [{key: ddns-key., networks: [127.0.0.0/8]}]\n    update_policy:\n", 1)
	n := startTestNodeIn(t, "n1", etcd, writeTraffic(t, doc), t.TempDir(), withUpdateKeys)
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return soaSerial(t, n) > 0 })

	const owner = `"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app"`
	send := func(what string, build func(m *dns.Msg)) {
		t.Helper()
		before := soaSerial(t, n)
		m := new(dns.Msg).SetUpdate("gtm.test.")
		build(m)
		if resp := signedUpdate(t, n.dnsAddr(), "tcp", "ddns-key.", ddnsSecret, m); resp.Rcode != dns.RcodeSuccess {
			t.Fatalf("%s: %s", what, dns.RcodeToString[resp.Rcode])
		}
		testwait.Eventually(t, 5*time.Second, what+" is served", func() bool { return soaSerial(t, n) > before })
	}
	wantServed := func(what, name string, qtype uint16, want ...string) {
		t.Helper()
		if got := lookup(t, n, name, qtype); !slices.Equal(got, want) {
			t.Errorf("%s: %s %s is %q, want %q", what, name, dns.TypeToString[qtype], got, want)
		}
	}

	send("create", func(m *dns.Msg) {
		m.Insert(rrs(t, "app.gtm.test. 300 IN A 192.0.2.10"))
		m.Insert(rrs(t, "app.gtm.test. 300 IN TXT "+owner))
		m.Insert(rrs(t, "a-app.gtm.test. 300 IN TXT "+owner))
	})
	wantServed("create", "app.gtm.test.", dns.TypeA, "app.gtm.test.\t0\tIN\tA\t192.0.2.10")
	wantServed("create", "a-app.gtm.test.", dns.TypeTXT, "a-app.gtm.test.\t0\tIN\tTXT\t"+owner)

	// The provider reads the zone by AXFR to know what it owns.
	tr := &dns.Transfer{TsigSecret: map[string]string{"ddns-key.": ddnsSecret}}
	q := new(dns.Msg).SetAxfr("gtm.test.")
	q.SetTsig("ddns-key.", dns.HmacSHA256, 300, time.Now().Unix())
	envs, err := tr.In(q, n.dnsAddr())
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for e := range envs {
		if e.Error != nil {
			t.Fatalf("AXFR: %v", e.Error)
		}
		for _, rr := range e.RR {
			listed = append(listed, rr.String())
		}
	}
	for _, want := range []string{"app.gtm.test.\t300\tIN\tA\t192.0.2.10", "a-app.gtm.test.\t300\tIN\tTXT\t" + owner} {
		if !slices.Contains(listed, want) {
			t.Errorf("AXFR lacks %q:\n%s", want, strings.Join(listed, "\n"))
		}
	}

	send("update", func(m *dns.Msg) {
		m.RemoveRRset(rrs(t, "app.gtm.test. 0 IN A 192.0.2.10"))
		m.Insert(rrs(t, "app.gtm.test. 300 IN A 192.0.2.11"))
	})
	wantServed("update", "app.gtm.test.", dns.TypeA, "app.gtm.test.\t0\tIN\tA\t192.0.2.11")

	send("delete", func(m *dns.Msg) {
		m.Remove(rrs(t, "app.gtm.test. 300 IN A 192.0.2.11"))
		m.Remove(rrs(t, "app.gtm.test. 300 IN TXT "+owner))
		m.Remove(rrs(t, "a-app.gtm.test. 300 IN TXT "+owner))
	})
	for _, name := range []string{"app.gtm.test.", "a-app.gtm.test."} {
		resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(new(dns.Msg).SetQuestion(name, dns.TypeTXT), n.dnsAddr())
		if err != nil || resp.Rcode != dns.RcodeNameError {
			t.Errorf("delete: %s answers %v (%v), want NXDOMAIN", name, resp, err)
		}
	}
}
