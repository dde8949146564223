package node

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
)

// The keys of the update tests: ddns-key may change most of the zone,
// acme-key TXT records of ACME challenges only, other-key nothing.
var (
	ddnsSecret  = base64.StdEncoding.EncodeToString([]byte("ddns-secret-of-32-bytes-for-test"))
	acmeSecret  = base64.StdEncoding.EncodeToString([]byte("acme-secret-of-32-bytes-for-test"))
	otherSecret = base64.StdEncoding.EncodeToString([]byte("other-secret-of-32-bytes-for-tes"))
)

// updateTraffic is a zone with an update_policy and a service, whose
// check is a target the test never needs.
func updateTraffic(target string) string {
	return strings.Replace(clusterTraffic(target), "      - {name: ns1, type: A, data: [\"192.0.2.53\"]}\n", `      - {name: ns1, type: A, data: ["192.0.2.53"]}
      - {name: fixed, type: TXT, data: ['"from the document"']}
    update_policy:
      - {key: ddns-key., names: ["*"], types: [A, AAAA, TXT, CNAME, MX]}
      - {key: acme-key., names: ["_acme-challenge", "_acme-challenge.*"], types: [TXT]}
`, 1)
}

func withUpdateKeys(c *config.Node) {
	c.TSIGKeys = []config.TSIGKey{
		{Name: "ddns-key.", Algorithm: config.TSIGHMACSHA256, Secret: ddnsSecret},
		{Name: "acme-key.", Algorithm: config.TSIGHMACSHA256, Secret: acmeSecret},
		{Name: "other-key.", Algorithm: config.TSIGHMACSHA256, Secret: otherSecret},
	}
}

// signedUpdate sends m, signed with key and secret (unsigned when key is
// ""), over net, and returns the response even when its own TSIG does
// not verify (an error answer is unsigned).
func signedUpdate(t *testing.T, server, network, key, secret string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	if key != "" {
		c.TsigSecret = map[string]string{key: secret}
		m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix())
	}
	resp, _, err := c.Exchange(m, server)
	if resp == nil {
		t.Fatalf("update over %s: %v", network, err)
	}
	return resp
}

func newUpdate(build func(m *dns.Msg)) *dns.Msg {
	m := new(dns.Msg).SetUpdate("gtm.test.")
	build(m)
	return m
}

func rrs(t *testing.T, lines ...string) []dns.RR {
	t.Helper()
	out := make([]dns.RR, len(lines))
	for i, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = rr
	}
	return out
}

// TestDynamicUpdate sends RFC 2136 UPDATE messages to one node of two,
// over UDP and TCP, signed or not, with prerequisites, and checks after
// each the rcode, the TSIG error, and what both nodes then serve; a
// refused update changes nothing (the SOA serial stays).
func TestDynamicUpdate(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	n1 := startTestNodeIn(t, "n1", etcd, writeTraffic(t, updateTraffic(target.Addr())), t.TempDir(), withUpdateKeys)
	n2 := startTestNodeIn(t, "n2", etcd, "", t.TempDir(), withUpdateKeys)
	for _, n := range []*liveNode{n1, n2} {
		testwait.Eventually(t, 10*time.Second, n.id+" answers", func() bool { return soaSerial(t, n) > 0 })
	}
	ddns := func(build func(m *dns.Msg)) (string, string, *dns.Msg) {
		return "ddns-key.", ddnsSecret, newUpdate(build)
	}
	acme := func(build func(m *dns.Msg)) (string, string, *dns.Msg) {
		return "acme-key.", acmeSecret, newUpdate(build)
	}
	type served struct {
		name  string
		qtype uint16
		want  []string // records without TTL, sorted; nil: none
	}
	cases := []struct {
		name    string
		network string
		msg     func() (key, secret string, m *dns.Msg)
		rcode   int
		tsigErr uint16
		served  []served
	}{
		{"add", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.Insert(rrs(t, "app.gtm.test. 300 IN A 192.0.2.80", "app.gtm.test. 300 IN A 192.0.2.81"))
			})
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.80", "app.gtm.test.\t0\tIN\tA\t192.0.2.81"}}}},
		{"replace over TCP", "tcp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.RemoveRRset(rrs(t, "app.gtm.test. 0 IN A 0.0.0.0"))
				m.Insert(rrs(t, "app.gtm.test. 60 IN A 192.0.2.82"))
			})
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.82"}}}},
		{"a CNAME beside other data is ignored", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) { m.Insert(rrs(t, "app.gtm.test. 60 IN CNAME www.gtm.test.")) })
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeCNAME, nil}, {"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.82"}}}},
		{"prerequisite: name in use holds", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.NameUsed(rrs(t, "app.gtm.test. 0 IN A 0.0.0.0"))
				m.Insert(rrs(t, "app.gtm.test. 60 IN TXT \"hello\""))
			})
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeTXT, []string{"app.gtm.test.\t0\tIN\tTXT\t\"hello\""}}}},
		{"prerequisite: value-dependent RRset holds", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.Used(rrs(t, "app.gtm.test. 0 IN A 192.0.2.82"))
				m.Insert(rrs(t, "app.gtm.test. 60 IN AAAA 2001:db8::82"))
			})
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeAAAA, []string{"app.gtm.test.\t0\tIN\tAAAA\t2001:db8::82"}}}},
		{"prerequisite NXDOMAIN: name not in use", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.NameUsed(rrs(t, "nope.gtm.test. 0 IN A 0.0.0.0"))
				m.Insert(rrs(t, "nope.gtm.test. 60 IN A 192.0.2.99"))
			})
		}, dns.RcodeNameError, 0, []served{{"nope.gtm.test.", dns.TypeA, nil}}},
		{"prerequisite YXDOMAIN: name in use", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.NameNotUsed(rrs(t, "app.gtm.test. 0 IN A 0.0.0.0"))
				m.Insert(rrs(t, "app.gtm.test. 60 IN A 192.0.2.99"))
			})
		}, dns.RcodeYXDomain, 0, []served{{"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.82"}}}},
		{"prerequisite YXRRSET: RRset exists", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.RRsetNotUsed(rrs(t, "app.gtm.test. 0 IN A 0.0.0.0"))
				m.Insert(rrs(t, "app.gtm.test. 60 IN A 192.0.2.99"))
			})
		}, dns.RcodeYXRrset, 0, []served{{"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.82"}}}},
		{"prerequisite NXRRSET: no such RRset", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.RRsetUsed(rrs(t, "app.gtm.test. 0 IN MX 0 .")[:1])
				m.Insert(rrs(t, "app.gtm.test. 60 IN A 192.0.2.99"))
			})
		}, dns.RcodeNXRrset, 0, []served{{"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.82"}}}},
		{"prerequisite NXRRSET: other values", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) {
				m.Used(rrs(t, "app.gtm.test. 0 IN A 192.0.2.80"))
				m.Insert(rrs(t, "app.gtm.test. 60 IN A 192.0.2.99"))
			})
		}, dns.RcodeNXRrset, 0, []served{{"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.82"}}}},
		{"delete one record", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) { m.Remove(rrs(t, "app.gtm.test. 0 IN AAAA 2001:db8::82")) })
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeAAAA, nil}, {"app.gtm.test.", dns.TypeTXT, []string{"app.gtm.test.\t0\tIN\tTXT\t\"hello\""}}}},
		{"delete an RRset", "tcp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) { m.RemoveRRset(rrs(t, "app.gtm.test. 0 IN TXT \"x\"")) })
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeTXT, nil}, {"app.gtm.test.", dns.TypeA, []string{"app.gtm.test.\t0\tIN\tA\t192.0.2.82"}}}},
		{"delete a name", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) { m.RemoveName(rrs(t, "app.gtm.test. 0 IN A 0.0.0.0")) })
		}, dns.RcodeSuccess, 0, []served{{"app.gtm.test.", dns.TypeA, nil}}},
		{"ACME challenge at the apex", "udp", func() (string, string, *dns.Msg) {
			return acme(func(m *dns.Msg) { m.Insert(rrs(t, "_acme-challenge.gtm.test. 60 IN TXT \"tok\"")) })
		}, dns.RcodeSuccess, 0, []served{{"_acme-challenge.gtm.test.", dns.TypeTXT, []string{"_acme-challenge.gtm.test.\t0\tIN\tTXT\t\"tok\""}}}},
		{"outside the policy: type", "udp", func() (string, string, *dns.Msg) {
			return acme(func(m *dns.Msg) { m.Insert(rrs(t, "_acme-challenge.gtm.test. 60 IN A 192.0.2.1")) })
		}, dns.RcodeRefused, 0, []served{{"_acme-challenge.gtm.test.", dns.TypeA, nil}}},
		{"outside the policy: name", "udp", func() (string, string, *dns.Msg) {
			return acme(func(m *dns.Msg) { m.Insert(rrs(t, "evil.gtm.test. 60 IN TXT \"x\"")) })
		}, dns.RcodeRefused, 0, []served{{"evil.gtm.test.", dns.TypeTXT, nil}}},
		{"a service's name", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) { m.Insert(rrs(t, "www.gtm.test. 60 IN TXT \"x\"")) })
		}, dns.RcodeRefused, 0, []served{{"www.gtm.test.", dns.TypeTXT, nil}}},
		{"the apex NS", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) { m.Insert(rrs(t, "gtm.test. 60 IN NS ns9.example.")) })
		}, dns.RcodeRefused, 0, []served{{"gtm.test.", dns.TypeNS, []string{"gtm.test.\t0\tIN\tNS\tns1.gtm.test."}}}},
		{"a key without a policy entry", "udp", func() (string, string, *dns.Msg) {
			return "other-key.", otherSecret, newUpdate(func(m *dns.Msg) { m.Insert(rrs(t, "o.gtm.test. 60 IN A 192.0.2.1")) })
		}, dns.RcodeRefused, 0, []served{{"o.gtm.test.", dns.TypeA, nil}}},
		{"unsigned", "udp", func() (string, string, *dns.Msg) {
			return "", "", newUpdate(func(m *dns.Msg) { m.Insert(rrs(t, "u.gtm.test. 60 IN A 192.0.2.1")) })
		}, dns.RcodeRefused, 0, []served{{"u.gtm.test.", dns.TypeA, nil}}},
		{"an unknown key", "udp", func() (string, string, *dns.Msg) {
			return "nobody-key.", ddnsSecret, newUpdate(func(m *dns.Msg) { m.Insert(rrs(t, "k.gtm.test. 60 IN A 192.0.2.1")) })
		}, dns.RcodeNotAuth, dns.RcodeBadKey, []served{{"k.gtm.test.", dns.TypeA, nil}}},
		{"a bad signature", "tcp", func() (string, string, *dns.Msg) {
			return "ddns-key.", otherSecret, newUpdate(func(m *dns.Msg) { m.Insert(rrs(t, "s.gtm.test. 60 IN A 192.0.2.1")) })
		}, dns.RcodeNotAuth, dns.RcodeBadSig, []served{{"s.gtm.test.", dns.TypeA, nil}}},
		{"a zone not served", "udp", func() (string, string, *dns.Msg) {
			m := new(dns.Msg).SetUpdate("other.test.")
			m.Insert(rrs(t, "x.other.test. 60 IN A 192.0.2.1"))
			return "ddns-key.", ddnsSecret, m
		}, dns.RcodeNotAuth, 0, nil},
		{"a record outside the zone", "udp", func() (string, string, *dns.Msg) {
			return ddns(func(m *dns.Msg) { m.Insert(rrs(t, "x.other.test. 60 IN A 192.0.2.1")) })
		}, dns.RcodeNotZone, 0, nil},
	}
	// NOERROR that changes nothing (RFC 2136 §3.4.2.2 ignores it): the
	// serial stays.
	unchanged := map[string]bool{"a CNAME beside other data is ignored": true}
	for _, tc := range cases {
		before := soaSerial(t, n1)
		key, secret, m := tc.msg()
		resp := signedUpdate(t, n1.dnsAddr(), tc.network, key, secret, m)
		if resp.Rcode != tc.rcode || resp.Opcode != dns.OpcodeUpdate {
			t.Errorf("%s: rcode %s opcode %d, want %s", tc.name, dns.RcodeToString[resp.Rcode], resp.Opcode, dns.RcodeToString[tc.rcode])
		}
		if tsig := resp.IsTsig(); key != "" && (tsig == nil || tsig.Error != tc.tsigErr) {
			t.Errorf("%s: TSIG %v, want error %s", tc.name, tsig, dns.RcodeToString[int(tc.tsigErr)])
		}
		if tc.rcode == dns.RcodeSuccess && !unchanged[tc.name] {
			acked := time.Now()
			for _, n := range []*liveNode{n1, n2} {
				testwait.Eventually(t, 5*time.Second, tc.name+": "+n.id+" serves the change", func() bool {
					return soaSerial(t, n) > before
				})
				t.Logf("%s: %s serves the change %v after the acknowledgement", tc.name, n.id, time.Since(acked))
			}
		} else if after := soaSerial(t, n1); after != before {
			t.Errorf("%s: nothing to change, yet the serial moved from %d to %d", tc.name, before, after)
		}
		for _, s := range tc.served {
			for _, n := range []*liveNode{n1, n2} {
				if got := lookup(t, n, s.name, s.qtype); !slices.Equal(got, s.want) {
					t.Errorf("%s: %s serves %s %s as %q, want %q", tc.name, n.id, s.name, dns.TypeToString[s.qtype], got, s.want)
				}
			}
		}
	}
	// The document's record is untouched by all this.
	if got := lookup(t, n2, "fixed.gtm.test.", dns.TypeTXT); len(got) != 1 {
		t.Errorf("fixed TXT: %v", got)
	}
}
