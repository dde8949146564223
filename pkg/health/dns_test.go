package health_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/miekg/dns"
)

// startDNS serves the test zone on UDP and TCP at one 127.0.0.1 port.
func startDNS(t *testing.T) string {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		_, overTCP := w.RemoteAddr().(*net.TCPAddr)
		a := func() dns.RR {
			rr, _ := dns.NewRR(q.Name + " 60 IN A 192.0.2.1")
			return rr
		}
		switch q.Name {
		case "ok.test.":
			m.Answer = append(m.Answer, a())
		case "nx.test.":
			m.Rcode = dns.RcodeNameError
		case "servfail.test.":
			m.Rcode = dns.RcodeServerFailure
		case "empty.test.":
		case "tc.test.": // the answer only over TCP
			if overTCP {
				m.Answer = append(m.Answer, a())
			} else {
				m.Truncated = true
			}
		case "v6.test.":
			if q.Qtype == dns.TypeAAAA {
				rr, _ := dns.NewRR(q.Name + " 60 IN AAAA 2001:db8::1")
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})
	var pc net.PacketConn
	var ln net.Listener
	for range 10 { // the TCP twin of a free UDP port is almost always free
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		pc = nil
	}
	if pc == nil {
		t.Fatal("no port free on both UDP and TCP")
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}

func TestDNS(t *testing.T) {
	addr := startDNS(t)
	tests := []struct {
		query, qtype, wantErr string
	}{
		{"ok.test", "", ""},
		{"ok.test.", "A", ""},
		{"nx.test.", "", "nx.test. A: rcode NXDOMAIN"},
		{"servfail.test.", "", "servfail.test. A: rcode SERVFAIL"},
		{"empty.test.", "", "empty.test. A: no answer records"},
		{"tc.test.", "", ""},
		{"v6.test.", "AAAA", ""},
		{"v6.test.", "a", "v6.test. A: no answer records"},
	}
	for _, tt := range tests {
		c, err := health.NewDNSChecker(config.Check{Name: "d", Type: config.CheckDNS, Address: addr, Query: tt.query, QType: tt.qtype})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = c.Check(ctx)
		cancel()
		if errText(err) != tt.wantErr {
			t.Errorf("%s %s: err %v, want %q", tt.query, tt.qtype, err, tt.wantErr)
		}
	}
}

func TestDNSNoServer(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	c, err := health.NewDNSChecker(config.Check{Name: "d", Address: addr, Query: "ok.test."})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := c.Check(ctx); err == nil {
		t.Error("no server passed")
	}
}

func TestNewDNSCheckerRejects(t *testing.T) {
	for _, c := range []config.Check{
		{Name: "d", Address: "127.0.0.1", Query: "a."},
		{Name: "d", Address: "127.0.0.1:53"},
		{Name: "d", Address: "127.0.0.1:53", Query: "a.", QType: "NOPE"},
	} {
		if _, err := health.NewDNSChecker(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// startSlowDNS serves on UDP at a 127.0.0.1 port and answers each query
// after delay, or never when delay is negative.
func startSlowDNS(t *testing.T, delay time.Duration) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if delay < 0 {
			return
		}
		select {
		case <-time.After(delay):
		case <-done:
			return
		}
		m := new(dns.Msg)
		m.SetReply(r)
		rr, _ := dns.NewRR(r.Question[0].Name + " 60 IN A 192.0.2.1")
		m.Answer = append(m.Answer, rr)
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { close(done); srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestDNSTimeoutIsTheChecks: a server slower than miekg/dns's own 2 s
// default but within the check's timeout passes.
func TestDNSTimeoutIsTheChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 2.3 s")
	}
	addr := startSlowDNS(t, 2300*time.Millisecond)
	c, err := health.NewDNSChecker(config.Check{Name: "d", Address: addr, Query: "slow.test."})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Check(ctx); err != nil {
		t.Errorf("an answer after 2.3 s within a 5 s timeout: %v", err)
	}
}

// TestDNSCanceled: a probe whose context ends returns at once, so that
// Close and Apply do not wait for a server that never answers.
func TestDNSCanceled(t *testing.T) {
	addr := startSlowDNS(t, -1)
	c, err := health.NewDNSChecker(config.Check{Name: "d", Address: addr, Query: "hang.test."})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err = c.Check(ctx)
	if err == nil {
		t.Fatal("a server that never answers passed")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Check returned %v after its context was canceled", d-50*time.Millisecond)
	}
}
