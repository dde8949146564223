package node

import (
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

const notifySecret = "bm90aWZ5LXNlY3JldC1ub3RpZnktc2VjcmV0LW5vdGk="

// secondary is a stand-in for a secondary's NOTIFY listener on loopback:
// it drops the first drop messages and records the others, whose TSIG
// it verifies with the test key.
type secondary struct {
	addr string
	mu   sync.Mutex
	drop int
	got  []*dns.Msg
	errs []error
	seen chan struct{}
}

func startSecondary(t *testing.T, drop int) *secondary {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sec := &secondary{addr: pc.LocalAddr().String(), drop: drop, seen: make(chan struct{}, 16)}
	srv := &dns.Server{PacketConn: pc, TsigSecret: map[string]string{"xfr-key.": notifySecret},
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, m *dns.Msg) {
			sec.mu.Lock()
			defer sec.mu.Unlock()
			if sec.drop > 0 {
				sec.drop--
				return
			}
			sec.got = append(sec.got, m)
			sec.errs = append(sec.errs, w.TsigStatus())
			r := new(dns.Msg)
			r.SetReply(m)
			if t := m.IsTsig(); t != nil {
				r.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
			}
			_ = w.WriteMsg(r)
			sec.seen <- struct{}{}
		})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return sec
}

// TestNotify: each zone's targets get one NOTIFY for the new serial,
// signed with the zone's first allow_transfer key; one dropped is sent
// again; a zone whose key the node lacks is notified unsigned.
func TestNotify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		keys   []config.TSIGKey
		drop   int
		signed bool
	}{
		{"signed", []config.TSIGKey{{Name: "xfr-key.", Algorithm: config.TSIGHMACSHA256, Secret: notifySecret}}, 0, true},
		{"retried after a loss", []config.TSIGKey{{Name: "xfr-key.", Algorithm: config.TSIGHMACSHA256, Secret: notifySecret}}, 1, true},
		{"key not held: unsigned", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sec := startSecondary(t, tc.drop)
			other := startSecondary(t, 0)
			doc, err := config.ParseTraffic("t.yaml", []byte(`zones:
  - name: xfr.test.
    soa: {mname: ns1.xfr.test., rname: hostmaster.xfr.test.}
    ns: [ns1.example.net.]
    allow_transfer: [{key: xfr-key., networks: [127.0.0.0/8]}, {key: second., networks: [127.0.0.0/8]}]
    notify: ["`+sec.addr+`", "`+other.addr+`"]
  - name: quiet.test.
    soa: {mname: ns1.xfr.test., rname: hostmaster.xfr.test.}
    ns: [ns1.example.net.]
`), "")
			if err != nil {
				t.Fatal(err)
			}
			nt := newNotifier(tc.keys, slog.New(slog.DiscardHandler))
			// Short enough that the retry comes within the test; the
			// count of messages is what is checked, not the time.
			nt.interval = 10 * time.Millisecond
			nt.serve(doc, 4242, nil)
			for _, s := range []*secondary{sec, other} {
				select {
				case <-s.seen:
				case <-time.After(30 * time.Second):
					t.Fatalf("no NOTIFY reached %s", s.addr)
				}
			}
			nt.stop()
			sec.mu.Lock()
			defer sec.mu.Unlock()
			if len(sec.got) != 1 {
				t.Fatalf("%d NOTIFY messages recorded, want 1", len(sec.got))
			}
			m := sec.got[0]
			if m.Opcode != dns.OpcodeNotify || !m.Authoritative || len(m.Question) != 1 || m.Question[0].Name != "xfr.test." || m.Question[0].Qtype != dns.TypeSOA {
				t.Errorf("not a NOTIFY for xfr.test. SOA: %v", m)
			}
			if len(m.Answer) != 1 || m.Answer[0].(*dns.SOA).Serial != 4242 {
				t.Errorf("answer %v, want the SOA with serial 4242", m.Answer)
			}
			switch {
			case tc.signed && (m.IsTsig() == nil || sec.errs[0] != nil):
				t.Errorf("NOTIFY not validly signed: tsig %v, status %v", m.IsTsig(), sec.errs[0])
			case !tc.signed && m.IsTsig() != nil:
				t.Errorf("NOTIFY signed with a key the node does not hold: %v", m.IsTsig())
			}
		})
	}
}
