package resolver_test

import (
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// updateRecorder is an Update handler that answers NOERROR, after
// release is closed when it is set, and counts what it was given.
type updateRecorder struct {
	mu      sync.Mutex
	got     int
	tsigErr []error
	release chan struct{}
	entered chan struct{}
}

func (u *updateRecorder) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	u.mu.Lock()
	u.got++
	u.tsigErr = append(u.tsigErr, w.TsigStatus())
	u.mu.Unlock()
	if u.entered != nil {
		u.entered <- struct{}{}
	}
	if u.release != nil {
		<-u.release
	}
	resp := new(dns.Msg).SetReply(req)
	if t := req.IsTsig(); t != nil && w.TsigStatus() == nil {
		resp.SetTsig(t.Hdr.Name, t.Algorithm, t.Fudge, time.Now().Unix())
	}
	_ = w.WriteMsg(resp)
}

// TestServerHandsUpdatesOver: with an Update handler, UPDATE messages
// over UDP and TCP reach it (and not the query handler) with the
// listener's TSIG verdict; without one they are NOTIMP; an update whose
// zone section is not one zone is FORMERR.
func TestServerHandsUpdatesOver(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	keys := resolver.NewTSIGKeys([]config.TSIGKey{{Name: "k.", Algorithm: config.TSIGHMACSHA256, Secret: secret}})
	rec := &updateRecorder{}
	with := startServer(t, newHandler(testSnapshot(t)), func(o *resolver.ServerOptions) { o.Update, o.TSIGKeys = rec, keys }).Addrs()[0]
	without := startServer(t, newHandler(testSnapshot(t)), nil).Addrs()[0]

	update := func(signed bool) *dns.Msg {
		m := new(dns.Msg).SetUpdate("example.com.")
		rr, _ := dns.NewRR("x.example.com. 60 IN A 192.0.2.1")
		m.Insert([]dns.RR{rr})
		if signed {
			m.SetTsig("k.", dns.HmacSHA256, 300, time.Now().Unix())
		}
		return m
	}
	for _, tc := range []struct {
		name, addr, network string
		signed              bool
		want                int
	}{
		{"udp, signed", with, "udp", true, dns.RcodeSuccess},
		{"tcp, signed", with, "tcp", true, dns.RcodeSuccess},
		{"udp, unsigned", with, "udp", false, dns.RcodeSuccess},
		{"no Update handler, udp", without, "udp", false, dns.RcodeNotImplemented},
		{"no Update handler, tcp", without, "tcp", false, dns.RcodeNotImplemented},
	} {
		c := &dns.Client{Net: tc.network, Timeout: 5 * time.Second, TsigSecret: map[string]string{"k.": secret}}
		resp, _, err := c.Exchange(update(tc.signed), tc.addr)
		if err != nil && resp == nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.Rcode != tc.want || resp.Opcode != dns.OpcodeUpdate {
			t.Errorf("%s: %s opcode %d, want %s", tc.name, dns.RcodeToString[resp.Rcode], resp.Opcode, dns.RcodeToString[tc.want])
		}
	}
	rec.mu.Lock()
	if rec.got != 3 || rec.tsigErr[0] != nil || rec.tsigErr[1] != nil {
		t.Errorf("the handler got %d updates, TSIG verdicts %v; want 3, the signed ones verified", rec.got, rec.tsigErr)
	}
	rec.mu.Unlock()

	two := update(false)
	two.Question = append(two.Question, two.Question[0])
	resp, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(two, with)
	if err != nil || resp.Rcode != dns.RcodeFormatError {
		t.Errorf("two zones: %v %v, want FORMERR", resp, err)
	}
}

// TestServerBoundsUDPUpdates: the updates one UDP socket serves at once
// are at most MaxUDPUpdates; one more is answered SERVFAIL at once, and
// queries are answered meanwhile.
func TestServerBoundsUDPUpdates(t *testing.T) {
	rec := &updateRecorder{release: make(chan struct{}), entered: make(chan struct{}, resolver.MaxUDPUpdates)}
	addr := startServer(t, newHandler(testSnapshot(t)), func(o *resolver.ServerOptions) { o.Update, o.UDPListeners = rec, 1 }).Addrs()[0]
	results := make(chan int, resolver.MaxUDPUpdates)
	for range resolver.MaxUDPUpdates {
		go func() {
			m := new(dns.Msg).SetUpdate("example.com.")
			resp, _, err := (&dns.Client{Timeout: 10 * time.Second}).Exchange(m, addr)
			if err != nil {
				results <- -1
				return
			}
			results <- resp.Rcode
		}()
	}
	for range resolver.MaxUDPUpdates {
		<-rec.entered
	}
	resp, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(new(dns.Msg).SetUpdate("example.com."), addr)
	if err != nil || resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("one update too many: %v %v, want SERVFAIL", resp, err)
	}
	q, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(new(dns.Msg).SetQuestion("example.test.", dns.TypeSOA), addr)
	if err != nil || q.Rcode != dns.RcodeSuccess {
		t.Errorf("a query while updates wait: %v %v", q, err)
	}
	close(rec.release)
	for range resolver.MaxUDPUpdates {
		if rcode := <-results; rcode != dns.RcodeSuccess {
			t.Errorf("a held update ended with %d", rcode)
		}
	}
}

// TestServerHandsNotifiesOver: with a Notify handler, NOTIFY messages
// over UDP and TCP reach it with the listener's TSIG verdict, and its
// signed answer verifies; without one they are NOTIMP, as before.
func TestServerHandsNotifiesOver(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	keys := resolver.NewTSIGKeys([]config.TSIGKey{{Name: "k.", Algorithm: config.TSIGHMACSHA256, Secret: secret}})
	rec := &updateRecorder{}
	with := startServer(t, newHandler(testSnapshot(t)), func(o *resolver.ServerOptions) { o.Notify, o.TSIGKeys = rec, keys }).Addrs()[0]
	without := startServer(t, newHandler(testSnapshot(t)), nil).Addrs()[0]
	for _, network := range []string{"udp", "tcp"} {
		m := new(dns.Msg).SetNotify("example.test.")
		m.SetTsig("k.", dns.HmacSHA256, 300, time.Now().Unix())
		c := &dns.Client{Net: network, Timeout: 2 * time.Second, TsigSecret: map[string]string{"k.": secret}}
		resp, _, err := c.Exchange(m, with)
		if err != nil || resp.Rcode != dns.RcodeSuccess || resp.IsTsig() == nil {
			t.Errorf("%s: signed notify with a handler: %v, %v; want a signed NOERROR", network, resp, err)
		}
		resp, _, err = (&dns.Client{Net: network, Timeout: 2 * time.Second}).Exchange(new(dns.Msg).SetNotify("example.test."), without)
		if err != nil || resp.Rcode != dns.RcodeNotImplemented {
			t.Errorf("%s: notify without a handler: %v, %v; want NOTIMP", network, resp, err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.got != 2 || rec.tsigErr[0] != nil || rec.tsigErr[1] != nil {
		t.Errorf("the handler got %d notifies, TSIG verdicts %v; want 2 verified", rec.got, rec.tsigErr)
	}
}
