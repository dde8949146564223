package resolver_test

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// Keys of the transfer tests: xfr-key. may transfer xfr.test. from
// 127.0.0.1, far-key. only from 127.0.0.2, idle-key. is known to the
// server and named by no allow_transfer.
const (
	xfrSecret   = "eGZyLXNlY3JldC14ZnItc2VjcmV0LXhmci1zZWNyZXQ="
	farSecret   = "ZmFyLXNlY3JldC1mYXItc2VjcmV0LWZhci1zZWNyZXQ="
	idleSecret  = "aWRsZS1zZWNyZXQtaWRsZS1zZWNyZXQtaWRsZS1zZWM="
	wrongSecret = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0="
	// bulkTXT is how many TXT RRsets the zone holds: enough for a
	// transfer of several messages.
	bulkTXT = 600
)

// transferDoc is a zone with every kind of data a transfer carries, a
// zone without allow_transfer, and services of each kind.
func transferDoc(services bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `zones:
  - name: xfr.test.
    soa: {mname: ns1.xfr.test., rname: hostmaster.xfr.test.}
    ns: [ns1.xfr.test.]
    allow_transfer:
      - {key: xfr-key., networks: [127.0.0.1/32]}
      - {key: far-key., networks: [127.0.0.2]}
    transfer_services: %v
    records:
      - {name: ns1, type: A, data: [192.0.2.53]}
      - {name: "@", type: MX, data: ["10 mail.xfr.test."]}
      - {name: mail, type: AAAA, data: ["2001:db8::25"]}
      - {name: "*.wild", type: TXT, data: [wildcard]}
      - {name: child, type: NS, data: [ns.child.xfr.test.]}
      - {name: ns.child, type: A, data: [192.0.2.54]}
`, services)
	long := strings.Repeat("x", 200)
	for i := range bulkTXT {
		fmt.Fprintf(&b, "      - {name: bulk%d, type: TXT, data: [%s]}\n", i, long)
	}
	b.WriteString(`  - name: closed.test.
    soa: {mname: ns1.xfr.test., rname: hostmaster.xfr.test.}
    ns: [ns1.xfr.test.]
services:
  - name: www.xfr.test.
    policy: failover
    ttl: 30
    endpoints:
      - {id: primary, priority: 1, a: [198.51.100.1], aaaa: ["2001:db8:1::1"]}
      - {id: backup, priority: 2, a: [198.51.100.2]}
  - name: geo.xfr.test.
    policy: geo
    endpoints:
      - {id: eu, continents: [EU], a: [198.51.100.11]}
      - {id: local, networks: [127.0.0.0/8], a: [198.51.100.12]}
      - {id: world, default: true, a: [198.51.100.13]}
  - name: cdn.xfr.test.
    policy: failover
    ttl: 20
    endpoints:
      - {id: edge, priority: 1, cname: edge.cdn.example.net.}
`)
	return b.String()
}

// startTransferServer serves doc with the test keys on 127.0.0.1.
func startTransferServer(t *testing.T, doc string) string {
	t.Helper()
	keys := resolver.NewTSIGKeys([]config.TSIGKey{
		{Name: "xfr-key.", Algorithm: config.TSIGHMACSHA256, Secret: xfrSecret},
		{Name: "far-key.", Algorithm: config.TSIGHMACSHA512, Secret: farSecret},
		{Name: "idle-key.", Algorithm: config.TSIGHMACSHA256, Secret: idleSecret},
	})
	srv := startServer(t, newHandler(snapshotFrom(t, doc)), func(o *resolver.ServerOptions) { o.TSIGKeys = keys })
	return srv.Addrs()[0]
}

// transferRequest is an AXFR or IXFR of zone, signed with key and
// secret unless key is empty.
func transferRequest(zone string, qtype uint16, key, alg string) *dns.Msg {
	q := new(dns.Msg)
	if qtype == dns.TypeIXFR {
		q.SetIxfr(zone, 1, "ns1.xfr.test.", "hostmaster.xfr.test.")
	} else {
		q.SetAxfr(zone)
	}
	if key != "" {
		q.SetTsig(key, alg, 300, time.Now().Unix())
	}
	return q
}

// TestTransferRefused: every request that may not transfer gets one
// message, the exact rcode and TSIG error, and no record.
func TestTransferRefused(t *testing.T) {
	needLoopback(t)
	addr := startTransferServer(t, transferDoc(true))
	for _, tc := range []struct {
		name           string
		src, zone      string
		qtype          uint16
		key, alg, sec  string
		rcode          int
		tsigErr        uint16
		signedResponse bool
	}{
		{"unsigned", "127.0.0.1", "xfr.test.", dns.TypeAXFR, "", "", "", dns.RcodeRefused, 0, false},
		{"unsigned IXFR", "127.0.0.1", "xfr.test.", dns.TypeIXFR, "", "", "", dns.RcodeRefused, 0, false},
		{"unknown key", "127.0.0.1", "xfr.test.", dns.TypeAXFR, "nobody.", dns.HmacSHA256, xfrSecret, dns.RcodeNotAuth, dns.RcodeBadKey, false},
		{"known key, other algorithm", "127.0.0.1", "xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA512, xfrSecret, dns.RcodeNotAuth, dns.RcodeBadKey, false},
		{"bad MAC", "127.0.0.1", "xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256, wrongSecret, dns.RcodeNotAuth, dns.RcodeBadSig, false},
		{"key not allowed for the zone", "127.0.0.1", "xfr.test.", dns.TypeAXFR, "idle-key.", dns.HmacSHA256, idleSecret, dns.RcodeRefused, 0, true},
		{"source not in the key's networks", "127.0.0.1", "xfr.test.", dns.TypeAXFR, "far-key.", dns.HmacSHA512, farSecret, dns.RcodeRefused, 0, true},
		{"allowed key from another source", "127.0.0.2", "xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256, xfrSecret, dns.RcodeRefused, 0, true},
		{"zone without allow_transfer", "127.0.0.1", "closed.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256, xfrSecret, dns.RcodeRefused, 0, true},
		{"not a zone apex", "127.0.0.1", "www.xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256, xfrSecret, dns.RcodeRefused, 0, true},
		{"not a zone served", "127.0.0.1", "example.org.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256, xfrSecret, dns.RcodeRefused, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &dns.Conn{Conn: dialFrom(t, tc.src, addr)}
			if tc.key != "" {
				c.TsigSecret = map[string]string{tc.key: tc.sec}
			}
			q := transferRequest(tc.zone, tc.qtype, tc.key, tc.alg)
			if err := c.WriteMsg(q); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := c.ReadMsg()
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.Rcode != tc.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
			}
			if len(resp.Answer) != 0 {
				t.Errorf("refused transfer carries %d records", len(resp.Answer))
			}
			tsig := resp.IsTsig()
			switch {
			case tc.key == "" && tsig != nil:
				t.Error("answer to an unsigned request carries a TSIG record")
			case tc.key != "" && tsig == nil:
				t.Fatal("answer to a signed request carries no TSIG record")
			case tsig != nil && tsig.Error != tc.tsigErr:
				t.Errorf("TSIG error %s, want %s", dns.RcodeToString[int(tsig.Error)], dns.RcodeToString[int(tc.tsigErr)])
			}
			if tc.signedResponse && err != nil {
				t.Errorf("the answer's TSIG does not verify: %v", err)
			}
			if !tc.signedResponse && tsig != nil && tsig.MAC != "" {
				t.Errorf("a %s answer is signed", dns.RcodeToString[int(tc.tsigErr)])
			}
			// The connection still serves the next query, or is closed;
			// it never carries more of a transfer.
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if more, err := c.ReadMsg(); err == nil {
				t.Errorf("a second message followed: %v", more)
			}
		})
	}
}

// transferIn runs a transfer as a secondary does, verifying every
// message's TSIG, and returns the records of each message.
func transferIn(t *testing.T, addr string, q *dns.Msg) [][]dns.RR {
	t.Helper()
	tr := &dns.Transfer{TsigSecret: map[string]string{"xfr-key.": xfrSecret}, ReadTimeout: 10 * time.Second}
	ch, err := tr.In(q, addr)
	if err != nil {
		t.Fatalf("transfer: %v", err)
	}
	var msgs [][]dns.RR
	for env := range ch {
		if env.Error != nil {
			t.Fatalf("transfer message %d: %v", len(msgs)+1, env.Error)
		}
		msgs = append(msgs, env.RR)
	}
	return msgs
}

// TestTransferFull: an allowed, signed AXFR or IXFR gets the whole zone,
// SOA first and last, in several signed messages; services are the
// answer of a client with no location, or absent.
func TestTransferFull(t *testing.T) {
	static := []string{
		"xfr.test.	3600	IN	NS	ns1.xfr.test.",
		"xfr.test.	3600	IN	MX	10 mail.xfr.test.",
		"ns1.xfr.test.	3600	IN	A	192.0.2.53",
		"mail.xfr.test.	3600	IN	AAAA	2001:db8::25",
		"*.wild.xfr.test.	3600	IN	TXT	\"wildcard\"",
		"child.xfr.test.	3600	IN	NS	ns.child.xfr.test.",
		"ns.child.xfr.test.	3600	IN	A	192.0.2.54",
	}
	services := []string{
		"www.xfr.test.	30	IN	A	198.51.100.1",
		"www.xfr.test.	30	IN	AAAA	2001:db8:1::1",
		"geo.xfr.test.	60	IN	A	198.51.100.13",
		"cdn.xfr.test.	20	IN	CNAME	edge.cdn.example.net.",
	}
	for _, tc := range []struct {
		name     string
		services bool
		qtype    uint16
		want     []string
	}{
		{"AXFR with services", true, dns.TypeAXFR, append(append([]string{}, static...), services...)},
		{"IXFR answered in full", true, dns.TypeIXFR, append(append([]string{}, static...), services...)},
		{"AXFR without services", false, dns.TypeAXFR, static},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startTransferServer(t, transferDoc(tc.services))
			msgs := transferIn(t, addr, transferRequest("xfr.test.", tc.qtype, "xfr-key.", dns.HmacSHA256))
			if len(msgs) < 2 {
				t.Errorf("%d messages; %d TXT records of 200 bytes need several", len(msgs), bulkTXT)
			}
			var all []dns.RR
			for _, m := range msgs {
				all = append(all, m...)
			}
			first, last := all[0], all[len(all)-1]
			if first.Header().Rrtype != dns.TypeSOA || last.Header().Rrtype != dns.TypeSOA {
				t.Fatalf("transfer starts with %v and ends with %v; want the SOA both times", first, last)
			}
			if s := first.(*dns.SOA).Serial; s != testSerial {
				t.Errorf("serial %d, want %d", s, testSerial)
			}
			bulk := 0
			var got []string
			for _, rr := range all[1 : len(all)-1] {
				switch {
				case rr.Header().Rrtype == dns.TypeSOA:
					t.Errorf("an SOA inside the transfer: %v", rr)
				case strings.HasPrefix(rr.Header().Name, "bulk"):
					bulk++
				default:
					got = append(got, normRR(t, rr.String()))
				}
			}
			if bulk != bulkTXT {
				t.Errorf("%d bulk TXT records, want %d", bulk, bulkTXT)
			}
			want := make([]string, len(tc.want))
			for i, s := range tc.want {
				want[i] = normRR(t, s)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestTransferIXFRUpToDate: a secondary that holds the current serial
// gets the SOA alone (RFC 1995 §2).
func TestTransferIXFRUpToDate(t *testing.T) {
	addr := startTransferServer(t, transferDoc(true))
	q := transferRequest("xfr.test.", dns.TypeIXFR, "xfr-key.", dns.HmacSHA256)
	q.Ns[0].(*dns.SOA).Serial = testSerial
	msgs := transferIn(t, addr, q)
	if len(msgs) != 1 || len(msgs[0]) != 1 || msgs[0][0].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("got %v, want the SOA alone", msgs)
	}
}

// TestTransferOverUDPRefused: transfers are served over TCP only.
func TestTransferOverUDPRefused(t *testing.T) {
	addr := startTransferServer(t, transferDoc(true))
	c := &dns.Client{Net: "udp", TsigSecret: map[string]string{"xfr-key.": xfrSecret}, Timeout: 5 * time.Second}
	resp, _, err := c.Exchange(transferRequest("xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256), addr)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Rcode != dns.RcodeRefused || len(resp.Answer) != 0 {
		t.Fatalf("rcode %s with %d records, want REFUSED and none", dns.RcodeToString[resp.Rcode], len(resp.Answer))
	}
}

// TestSignedSOAQuery: a secondary's signed SOA query is answered, signed
// with its key, over UDP and TCP; a badly signed one gets BADSIG.
func TestSignedSOAQuery(t *testing.T) {
	addr := startTransferServer(t, transferDoc(true))
	for _, tc := range []struct {
		name, net, secret string
		rcode             int
		wantErr           bool
	}{
		{"udp", "udp", xfrSecret, dns.RcodeSuccess, false},
		{"tcp", "tcp", xfrSecret, dns.RcodeSuccess, false},
		{"udp bad MAC", "udp", wrongSecret, dns.RcodeNotAuth, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &dns.Client{Net: tc.net, TsigSecret: map[string]string{"xfr-key.": tc.secret}, Timeout: 5 * time.Second}
			q := new(dns.Msg)
			q.SetQuestion("xfr.test.", dns.TypeSOA)
			q.SetEdns0(1232, false)
			q.SetTsig("xfr-key.", dns.HmacSHA256, 300, time.Now().Unix())
			resp, _, err := c.Exchange(q, addr)
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if (err != nil) != tc.wantErr {
				t.Errorf("verifying the answer's TSIG: %v", err)
			}
			if resp.Rcode != tc.rcode || resp.IsTsig() == nil {
				t.Fatalf("rcode %s, TSIG %v; want %s, signed", dns.RcodeToString[resp.Rcode], resp.IsTsig(), dns.RcodeToString[tc.rcode])
			}
			if tc.rcode == dns.RcodeSuccess {
				if len(resp.Answer) != 1 || resp.Answer[0].(*dns.SOA).Serial != testSerial || !resp.Authoritative {
					t.Errorf("answer %v, want the zone's SOA, authoritative", resp.Answer)
				}
			}
		})
	}
}

// TestTransferKeysWithoutServerKeys: a server given no keys answers a
// signed request BADKEY, never as if it were verified.
func TestTransferKeysWithoutServerKeys(t *testing.T) {
	srv := startServer(t, newHandler(snapshotFrom(t, transferDoc(true))), nil)
	c := &dns.Conn{}
	conn, err := net.Dial("tcp", srv.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c.Conn = conn
	c.TsigSecret = map[string]string{"xfr-key.": xfrSecret}
	if err := c.WriteMsg(transferRequest("xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, _ := c.ReadMsg()
	if resp == nil || resp.Rcode != dns.RcodeNotAuth || resp.IsTsig() == nil || resp.IsTsig().Error != dns.RcodeBadKey {
		t.Fatalf("got %v, want NOTAUTH with BADKEY", resp)
	}
}

// TestTransferSignedZoneRefused: a zone gtmd signs online is not
// transferred, since a secondary would serve it without signatures.
func TestTransferSignedZoneRefused(t *testing.T) {
	keys := resolver.NewTSIGKeys([]config.TSIGKey{{Name: "xfr-key.", Algorithm: config.TSIGHMACSHA256, Secret: xfrSecret}})
	s := snapshotFrom(t, transferDoc(true)).WithSigning(map[string]resolver.Signing{"xfr.test.": {Unsigned: true}})
	srv := startServer(t, newHandler(s), func(o *resolver.ServerOptions) { o.TSIGKeys = keys })
	tr := &dns.Transfer{TsigSecret: map[string]string{"xfr-key.": xfrSecret}, ReadTimeout: 5 * time.Second}
	ch, err := tr.In(transferRequest("xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256), srv.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	env := <-ch
	if env.Error == nil || !strings.Contains(env.Error.Error(), "bad xfr rcode: 5") || len(env.RR) != 0 {
		t.Fatalf("got %v records, error %v; want REFUSED (rcode 5)", env.RR, env.Error)
	}
}
