package dnstaplog_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	dnstap "github.com/dnstap/golang-dnstap"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnstaplog"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// trafficDoc has a static record and a failover service whose first
// endpoint the tests mark down, so that the rule is not the obvious one.
const trafficDoc = `
zones:
  - name: gtm.test.
    ttl: 300
    soa: {mname: ns1.gtm.test., rname: hostmaster.gtm.test., minimum: 60}
    ns: [ns1.gtm.test.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
      - {name: info, type: TXT, data: ["\"static\""]}
services:
  - name: www.gtm.test.
    policy: failover
    endpoints:
      - {id: primary, priority: 1, a: [192.0.2.31]}
      - {id: backup, priority: 2, a: [192.0.2.32]}
`

// wantServiceExtra is the extra field of an answer from www.gtm.test.
const wantServiceExtra = "service=www.gtm.test. endpoint=backup rule=failover: priority 2 scope=0"

// snapshot is trafficDoc with its primary endpoint down.
func snapshot(t testing.TB) *resolver.Snapshot {
	t.Helper()
	tr, err := config.ParseTraffic("inline.yaml", []byte(trafficDoc), "")
	if err != nil {
		t.Fatalf("parsing the document: %v", err)
	}
	s, err := resolver.Build(tr, 1)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return s.WithHealth(func(service, endpoint string) bool { return endpoint != "primary" })
}

// serve answers trafficDoc on 127.0.0.1 over UDP and TCP with qlog as
// the query log, and returns the address.
func serve(t *testing.T, qlog resolver.QueryLog) string {
	t.Helper()
	h := resolver.NewHandler(resolver.Options{QueryLog: qlog})
	h.Swap(snapshot(t))
	srv := resolver.NewServer(resolver.ServerOptions{Addrs: []string{"127.0.0.1:0"}, Handler: h, UDPListeners: 1})
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return srv.Addrs()[0]
}

// exchange is one query as sent and answered, with the client's address.
type exchange struct {
	query, resp []byte
	client      net.Addr
}

// ask sends a query for name and qtype with id over UDP or TCP and
// returns the exchange.
func ask(t *testing.T, addr, network, name string, qtype, id uint16) exchange {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.Id = id
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp := make([]byte, 4096)
	var n int
	if network == "udp" {
		if _, err := conn.Write(wire); err != nil {
			t.Fatal(err)
		}
		n, err = conn.Read(resp)
	} else {
		if _, err := conn.Write(binary.BigEndian.AppendUint16(nil, uint16(len(wire)))); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(wire); err != nil {
			t.Fatal(err)
		}
		var l [2]byte
		if _, err = io.ReadFull(conn, l[:]); err == nil {
			n, err = io.ReadFull(conn, resp[:binary.BigEndian.Uint16(l[:])])
		}
	}
	if err != nil {
		t.Fatalf("%s query for %s: %v", network, name, err)
	}
	return exchange{query: wire, resp: resp[:n], client: conn.LocalAddr()}
}

// readFile decodes every dnstap message in a Frame Streams file.
func readFile(t *testing.T, path string) []*dnstap.Dnstap {
	t.Helper()
	msgs, err := dnstaplog.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// closeLog closes l, failing the test if it cannot.
func closeLog(t testing.TB, l *dnstaplog.Logger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// counts reads the sent and dropped counters.
func counts(t *testing.T, reg *prometheus.Registry) (sent, dropped float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "gtmd_dnstap_sent_messages_total":
			sent = mf.GetMetric()[0].GetCounter().GetValue()
		case "gtmd_dnstap_dropped_messages_total":
			dropped = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return sent, dropped
}

// seqRand returns its values in turn, safely for concurrent use.
type seqRand struct {
	mu   sync.Mutex
	vals []float64
	i    int
}

func (r *seqRand) Float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.vals[r.i%len(r.vals)]
	r.i++
	return v
}
