package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
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

// unheldKeyWarning is the message logged for an allow_transfer key the
// node does not hold.
const unheldKeyWarning = "allow_transfer names a TSIG key this node does not hold; transfers with it are refused"

// countingHandler counts the log records of each message.
type countingHandler struct {
	mu     sync.Mutex
	counts map[string]int
}

func newCountingHandler() *countingHandler { return &countingHandler{counts: map[string]int{}} }

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Message]++
	return nil
}

func (h *countingHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[msg]
}

// TestUnheldTransferKeyWarnedOnce: a zone's allow_transfer key that the
// node does not hold is warned about when a document starts naming it,
// not again at each change of the zone's records; a document that stops
// naming it and names it again is warned about again.
func TestUnheldTransferKeyWarnedOnce(t *testing.T) {
	zone := func(name, key string) string {
		z := "  - name: " + name + "\n    soa: {mname: ns1.example.net., rname: hostmaster.example.net.}\n    ns: [ns1.example.net.]\n"
		if key != "" {
			z += "    allow_transfer: [{key: " + key + ", networks: [127.0.0.0/8]}]\n"
		}
		return z
	}
	held := []config.TSIGKey{{Name: "held.", Algorithm: config.TSIGHMACSHA256, Secret: notifySecret}}
	steps := []struct {
		name    string
		zones   string
		serials map[string]uint32
		want    int // warnings logged so far
	}{
		{"a zone names a key not held", zone("a.test.", "missing."), nil, 1},
		{"a.test.'s records change", zone("a.test.", "missing."), map[string]uint32{"a.test.": 2}, 1},
		{"and again", zone("a.test.", "missing."), map[string]uint32{"a.test.": 3}, 1},
		{"another zone names it too", zone("a.test.", "missing.") + zone("b.test.", "missing."), map[string]uint32{"a.test.": 3}, 2},
		{"a.test. names a key held", zone("a.test.", "held.") + zone("b.test.", "missing."), nil, 2},
		{"a.test. names the missing key again", zone("a.test.", "missing.") + zone("b.test.", "missing."), nil, 3},
		{"b.test.'s records change", zone("a.test.", "missing.") + zone("b.test.", "missing."), map[string]uint32{"b.test.": 9}, 3},
	}
	h := newCountingHandler()
	nt := newNotifier(held, slog.New(h))
	for i, step := range steps {
		doc, err := config.ParseTraffic("t.yaml", []byte("zones:\n"+step.zones), "")
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		nt.serve(doc, uint32(i+1), step.serials)
		if got := h.count(unheldKeyWarning); got != step.want {
			t.Errorf("after %q: %d warnings, want %d", step.name, got, step.want)
		}
	}
}

// TestUnheldTransferKeyNodeRecordChanges: a node serving a zone whose
// allow_transfer names a key it does not hold warns once, however many
// changes of the zone's records it then serves.
func TestUnheldTransferKeyNodeRecordChanges(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	doc := strings.Replace(clusterTraffic(target.Addr()), "    ns: [ns1.gtm.test.]\n",
		"    ns: [ns1.gtm.test.]\n    allow_transfer: [{key: xfr-key., networks: [127.0.0.0/8]}]\n", 1)
	h := newCountingHandler()
	n := startTestNodeLogged(t, "n1", etcd, writeTraffic(t, doc), t.TempDir(), slog.New(h))
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return soaSerial(t, n) > 0 })
	for i := range 3 {
		var res admin.ZoneRecordsResult
		if code := putZone(t, n, "gtm.test", "text/dns", fmt.Sprintf("x IN A 192.0.2.%d\n", i+1), &res); code != http.StatusOK {
			t.Fatalf("PUT %d: %d", i, code)
		}
		testwait.Eventually(t, 5*time.Second, "the change is served", func() bool { return int64(soaSerial(t, n)) == res.Revision })
	}
	if got := h.count(unheldKeyWarning); got != 1 {
		t.Errorf("%d warnings about the key across 3 changes of records, want 1", got)
	}
}
