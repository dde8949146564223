package resolver_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// BenchmarkTransfer is one signed AXFR of a zone of 10,000 A records over
// TCP on loopback, received and verified by miekg/dns's Transfer as a
// secondary would.
func BenchmarkTransfer(b *testing.B) {
	const records = 10000
	var doc strings.Builder
	doc.WriteString(`zones:
  - name: xfr.test.
    soa: {mname: ns1.xfr.test., rname: hostmaster.xfr.test.}
    ns: [ns1.xfr.test.]
    allow_transfer: [{key: xfr-key., networks: [127.0.0.1]}]
    records:
      - {name: ns1, type: A, data: [192.0.2.53]}
`)
	for i := range records {
		fmt.Fprintf(&doc, "      - {name: host%d, type: A, data: [10.%d.%d.%d]}\n", i, i>>16&255, i>>8&255, i&255)
	}
	keys := resolver.NewTSIGKeys([]config.TSIGKey{{Name: "xfr-key.", Algorithm: config.TSIGHMACSHA256, Secret: xfrSecret}})
	srv := startServer(b, newHandler(snapshotFrom(b, doc.String())), func(o *resolver.ServerOptions) { o.TSIGKeys = keys })
	addr := srv.Addrs()[0]
	b.ReportAllocs()
	for b.Loop() {
		tr := &dns.Transfer{TsigSecret: map[string]string{"xfr-key.": xfrSecret}, ReadTimeout: 10 * time.Second}
		ch, err := tr.In(transferRequest("xfr.test.", dns.TypeAXFR, "xfr-key.", dns.HmacSHA256), addr)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for env := range ch {
			if env.Error != nil {
				b.Fatal(env.Error)
			}
			n += len(env.RR)
		}
		// SOA twice, NS, ns1 and the records.
		if n != records+4 {
			b.Fatalf("%d records transferred, want %d", n, records+4)
		}
	}
	b.ReportMetric(float64(records), "records/op")
}
