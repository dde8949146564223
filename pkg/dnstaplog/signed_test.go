package dnstaplog_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

const (
	xfrKey    = "xfr-key."
	xfrSecret = "c2VjcmV0IGtleSBvZiBhdCBsZWFzdCAxNiBieXRlcw=="
)

// transferDoc is a zone the key may transfer from loopback.
const transferDoc = `
zones:
  - name: gtm.test.
    ttl: 300
    soa: {mname: ns1.gtm.test., rname: hostmaster.gtm.test., minimum: 60}
    ns: [ns1.gtm.test.]
    allow_transfer: [{key: xfr-key., networks: [127.0.0.0/8]}]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
      - {name: info, type: TXT, data: ["\"static\""]}
`

// TestSignedAndTransfersLogged: the queries the server answers apart
// from the others (TSIG-signed ones, a bad signature's NOTAUTH, a refused
// and an allowed transfer) are logged as every other query is: the
// request and the (first) message sent back, with its rcode.
func TestSignedAndTransfersLogged(t *testing.T) {
	l, path, _ := startFileLog(t, 1, nil)
	tr, err := config.ParseTraffic("inline.yaml", []byte(transferDoc), "")
	if err != nil {
		t.Fatalf("parsing the document: %v", err)
	}
	s, err := resolver.Build(tr, 1)
	if err != nil {
		t.Fatal(err)
	}
	h := resolver.NewHandler(resolver.Options{QueryLog: l})
	h.Swap(s)
	keys := resolver.NewTSIGKeys([]config.TSIGKey{{Name: xfrKey, Algorithm: config.TSIGHMACSHA256, Secret: xfrSecret}})
	srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{"127.0.0.1:0"}, Handler: h, UDPListeners: 1, TSIGKeys: keys})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	addr := srv.Addrs()[0]

	query := func(net, secret string, qtype uint16) {
		t.Helper()
		q := new(dns.Msg)
		q.SetQuestion("gtm.test.", qtype)
		c := &dns.Client{Net: net, Timeout: 5 * time.Second}
		if secret != "" {
			q.SetTsig(xfrKey, dns.HmacSHA256, 300, time.Now().Unix())
			c.TsigSecret = map[string]string{xfrKey: secret}
		}
		if qtype == dns.TypeAXFR {
			tr := &dns.Transfer{TsigSecret: c.TsigSecret, ReadTimeout: 5 * time.Second}
			ch, err := tr.In(q, addr)
			if err != nil {
				t.Fatal(err)
			}
			for range ch {
			}
			return
		}
		if _, _, err := c.Exchange(q, addr); err != nil && secret == xfrSecret {
			t.Fatalf("signed %s query: %v", dns.TypeToString[qtype], err)
		}
	}
	query("udp", xfrSecret, dns.TypeSOA)                              // signed, answered
	query("udp", "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA==", dns.TypeSOA) // bad MAC: NOTAUTH
	query("tcp", "", dns.TypeAXFR)                                    // unsigned: REFUSED
	query("tcp", xfrSecret, dns.TypeAXFR)                             // transferred
	closeLog(t, l)

	msgs := readFile(t, path)
	wantRcodes := []int{dns.RcodeSuccess, dns.RcodeNotAuth, dns.RcodeRefused, dns.RcodeSuccess}
	if len(msgs) != 2*len(wantRcodes) {
		t.Fatalf("read %d messages, want %d (a query and an answer for each of %d requests)", len(msgs), 2*len(wantRcodes), len(wantRcodes))
	}
	for i, want := range wantRcodes {
		q, a := msgs[2*i].GetMessage(), msgs[2*i+1].GetMessage()
		qm, am := new(dns.Msg), new(dns.Msg)
		if err := qm.Unpack(q.GetQueryMessage()); err != nil {
			t.Fatalf("request %d: logged query does not unpack: %v", i, err)
		}
		if err := am.Unpack(a.GetResponseMessage()); err != nil {
			t.Fatalf("request %d: logged answer does not unpack: %v", i, err)
		}
		if am.Rcode != want || am.Id != qm.Id || qm.Question[0].Name != "gtm.test." {
			t.Errorf("request %d: logged %s answer rcode %s id %d to query id %d, want rcode %s", i,
				dns.TypeToString[qm.Question[0].Qtype], dns.RcodeToString[am.Rcode], am.Id, qm.Id, dns.RcodeToString[want])
		}
	}
	if axfr := msgs[7].GetMessage(); axfr != nil {
		am := new(dns.Msg)
		_ = am.Unpack(axfr.GetResponseMessage())
		if len(am.Answer) < 2 || am.Answer[0].Header().Rrtype != dns.TypeSOA {
			t.Errorf("the transfer's logged message holds %d records, want the zone from its SOA", len(am.Answer))
		}
	}
}
