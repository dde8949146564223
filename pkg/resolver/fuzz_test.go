package resolver_test

import (
	"math/rand/v2"
	"testing"

	"github.com/miekg/dns"
)

// FuzzServeDNS feeds the handler every message miekg/dns can unpack, as
// the server would (what does not unpack the server answers FORMERR
// itself), over UDP or TCP. The handler must not panic, must write one
// response with the query's id and QR set that unpacks, and over UDP must
// keep within the client's size: 512 bytes without EDNS, the advertised
// size up to 1232 with it.
//
//	go test -run=^$ -fuzz=FuzzServeDNS -fuzztime=60s ./pkg/resolver
func FuzzServeDNS(f *testing.F) {
	h := newHandler(testSnapshot(f))
	for _, b := range fuzzSeeds(f) {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, tcp bool) {
		q := new(dns.Msg)
		if err := q.Unpack(b); err != nil {
			t.Skip("does not unpack: the server answers FORMERR before the handler")
		}
		w := &fakeWriter{remote: fakeUDPClient}
		if tcp {
			w.remote = fakeTCPClient
		}
		h.ServeDNS(w, q)
		if w.writes != 1 {
			t.Fatalf("ServeDNS wrote %d responses, want 1", w.writes)
		}
		resp := new(dns.Msg)
		if err := resp.Unpack(w.out); err != nil {
			t.Fatalf("response %x does not unpack: %v", w.out, err)
		}
		if resp.Id != q.Id || !resp.Response {
			t.Fatalf("response id %d QR %v, want id %d QR set", resp.Id, resp.Response, q.Id)
		}
		if !tcp {
			limit := 512
			if opt := q.IsEdns0(); opt != nil {
				limit = max(512, min(int(opt.UDPSize()), 1232))
			}
			if len(w.out) > limit {
				t.Fatalf("UDP response of %d bytes, over the client's %d", len(w.out), limit)
			}
		}
	})
}

// fuzzSeeds are real queries of several types, with and without EDNS and
// ECS, and a few malformed packets of every kind the storm sends.
func fuzzSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	add := func(name string, qtype uint16, edit func(*dns.Msg)) {
		out = append(out, packEdited(tb, name, qtype, edit))
	}
	withECS := func(m *dns.Msg) {
		m.SetEdns0(4096, true)
		o := m.IsEdns0()
		o.Option = append(o.Option, ecs4("203.0.113.0", 24))
	}
	for _, c := range []struct {
		name  string
		qtype uint16
	}{
		{"host.example.test.", dns.TypeA}, {"host.example.test.", dns.TypeAAAA}, {"example.test.", dns.TypeNS},
		{"example.test.", dns.TypeSOA}, {"example.test.", dns.TypeMX}, {"example.test.", dns.TypeANY},
		{"_sip._tcp.example.test.", dns.TypeSRV}, {"a.example.test.", dns.TypeA}, {"dangling.example.test.", dns.TypeA},
		{"foo.wild.example.test.", dns.TypeTXT}, {"foo.ent.wild.example.test.", dns.TypeA}, {"www.child.example.test.", dns.TypeA},
		{"child.example.test.", dns.TypeDS}, {"bigtxt.example.test.", dns.TypeTXT}, {"midtxt.example.test.", dns.TypeTXT},
		{"www.example.test.", dns.TypeA}, {"cdn.example.test.", dns.TypeAAAA}, {"pinned.example.test.", dns.TypeA},
		{"loop1.example.test.", dns.TypeA}, {"tosub.example.test.", dns.TypeA}, {"nope.sub.example.test.", dns.TypeA},
		{"www.example.com.", dns.TypeA}, {"example.test.", dns.TypeAXFR},
	} {
		add(c.name, c.qtype, nil)
		add(c.name, c.qtype, func(m *dns.Msg) { m.SetEdns0(1232, false) })
		add(c.name, c.qtype, withECS)
	}
	add("WwW.ExAmPlE.TeSt.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(512, true) })
	add("www.example.test.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(4096, false); m.IsEdns0().SetVersion(1) })
	add("www.example.test.", dns.TypeA, func(m *dns.Msg) {
		m.SetEdns0(4096, false)
		o := m.IsEdns0()
		o.Option = append(o.Option, ecs6("2001:db8::", 32), &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
	})
	add("example.test.", dns.TypeSOA, func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify })
	add("example.test.", dns.TypeSOA, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS })
	for _, m := range genMalformed(tb, rand.New(rand.NewPCG(3, 4)), 2) {
		out = append(out, m.pkt)
	}
	return out
}
