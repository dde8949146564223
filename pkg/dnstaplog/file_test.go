package dnstaplog_test

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"

	dnstap "github.com/dnstap/golang-dnstap"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/dnstaplog"
)

// startFileLog starts a logger writing to a file in a temporary
// directory, with sampling from rnd (nil: every query).
func startFileLog(t *testing.T, sample float64, rnd dnstaplog.Rand) (*dnstaplog.Logger, string, *prometheus.Registry) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queries.dnstap")
	out, err := dnstaplog.NewFileOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	l, err := dnstaplog.New(dnstaplog.Options{Output: out, Sample: sample, Rand: rnd, Identity: "node-1", Version: "gtmd test", Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	return l, path, reg
}

// TestFileLogsEveryQuery: each query over UDP (the fast path) and TCP
// (the full path) gives an AUTH_QUERY and an AUTH_RESPONSE with the
// bytes that went over the wire, both addresses and ports, the
// transport, and the decision for a service's answer.
func TestFileLogsEveryQuery(t *testing.T) {
	l, path, reg := startFileLog(t, 1, nil)
	addr := serve(t, l)
	server := netip.MustParseAddrPort(addr)
	cases := []struct {
		network, name string
		qtype         uint16
		extra         string
	}{
		{"udp", "www.gtm.test.", dns.TypeA, wantServiceExtra},
		{"tcp", "www.gtm.test.", dns.TypeA, wantServiceExtra},
		{"udp", "info.gtm.test.", dns.TypeTXT, ""},
		{"tcp", "info.gtm.test.", dns.TypeTXT, ""},
		// A name outside the zones is refused, and logged too.
		{"udp", "elsewhere.test.", dns.TypeA, ""},
		// Upper case is the client's: the fast path logs its bytes as sent.
		{"udp", "WWW.gtm.test.", dns.TypeA, wantServiceExtra},
	}
	var sent []exchange
	for i, tc := range cases {
		sent = append(sent, ask(t, addr, tc.network, tc.name, tc.qtype, uint16(100+i)))
	}
	closeLog(t, l)
	msgs := readFile(t, path)
	if len(msgs) != 2*len(cases) {
		t.Fatalf("read %d messages, want %d", len(msgs), 2*len(cases))
	}
	for i, tc := range cases {
		ex := sent[i]
		client := netip.MustParseAddrPort(ex.client.String())
		proto := dnstap.SocketProtocol_UDP
		if tc.network == "tcp" {
			proto = dnstap.SocketProtocol_TCP
		}
		for j, want := range []dnstap.Message_Type{dnstap.Message_AUTH_QUERY, dnstap.Message_AUTH_RESPONSE} {
			d := msgs[2*i+j]
			m := d.GetMessage()
			where := tc.network + " " + tc.name + " " + want.String()
			if m.GetType() != want {
				t.Errorf("%s: type %v", where, m.GetType())
			}
			if string(d.GetIdentity()) != "node-1" || string(d.GetVersion()) != "gtmd test" {
				t.Errorf("%s: identity %q version %q", where, d.GetIdentity(), d.GetVersion())
			}
			if m.GetSocketProtocol() != proto || m.GetSocketFamily() != dnstap.SocketFamily_INET {
				t.Errorf("%s: %v %v, want %v INET", where, m.GetSocketProtocol(), m.GetSocketFamily(), proto)
			}
			if got := addrPort(m.GetQueryAddress(), m.GetQueryPort()); got != client {
				t.Errorf("%s: query address %v, want %v", where, got, client)
			}
			if got := addrPort(m.GetResponseAddress(), m.GetResponsePort()); got != server {
				t.Errorf("%s: response address %v, want %v", where, got, server)
			}
			if string(d.GetExtra()) != tc.extra {
				t.Errorf("%s: extra %q, want %q", where, d.GetExtra(), tc.extra)
			}
			if m.GetQueryTimeSec() == 0 {
				t.Errorf("%s: no query time", where)
			}
			if want == dnstap.Message_AUTH_QUERY && !bytes.Equal(m.GetQueryMessage(), ex.query) {
				t.Errorf("%s: query bytes differ from those sent", where)
			}
			if want == dnstap.Message_AUTH_RESPONSE {
				if !bytes.Equal(m.GetResponseMessage(), ex.resp) {
					t.Errorf("%s: response bytes differ from those received", where)
				}
				if m.GetResponseTimeSec() == 0 {
					t.Errorf("%s: no response time", where)
				}
			}
		}
	}
	if s, d := counts(t, reg); s != float64(2*len(cases)) || d != 0 {
		t.Errorf("sent %v, dropped %v; want %d and 0", s, d, 2*len(cases))
	}
}

func addrPort(ip []byte, port uint32) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), uint16(port))
}

// TestSampling: with sample 0.5, a query is logged when the draw is below
// it; the draws alternate, so every other query is.
func TestSampling(t *testing.T) {
	l, path, _ := startFileLog(t, 0.5, &seqRand{vals: []float64{0.1, 0.9, 0.49, 0.5, 0.0, 0.75}})
	addr := serve(t, l)
	for i := range 6 {
		network := "udp"
		if i%3 == 2 {
			network = "tcp"
		}
		ask(t, addr, network, "www.gtm.test.", dns.TypeA, uint16(i))
	}
	closeLog(t, l)
	var ids []uint16
	for _, d := range readFile(t, path) {
		if d.GetMessage().GetType() != dnstap.Message_AUTH_QUERY {
			continue
		}
		var q dns.Msg
		if err := q.Unpack(d.GetMessage().GetQueryMessage()); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, q.Id)
	}
	if want := []uint16{0, 2, 4}; !equalIDs(ids, want) {
		t.Errorf("logged queries %v, want %v", ids, want)
	}
}

func equalIDs(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
