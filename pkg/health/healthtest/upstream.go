package healthtest

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Upstream stands in for a recursive resolver on 127.0.0.1 over UDP,
// answering the A and AAAA questions of each name as the test last set
// them: what endpoint targets are looked up through.
type Upstream struct {
	// Addr is the IP:port it listens on.
	Addr    string
	mu      sync.Mutex
	answers map[string]Answer
	queries map[string]int
}

// Answer is what Upstream answers for one name.
type Answer struct {
	// Rcode is the response code; 0 is NOERROR.
	Rcode int
	// A and AAAA are the addresses answered, with TTL.
	A, AAAA []string
	TTL     uint32
	// Drop answers nothing, so the client times out.
	Drop bool
	// Records are answered as they are, after the addresses, to every
	// question about the name: odd records a resolver may send.
	Records []dns.RR
}

// StartUpstream starts an Upstream that answers REFUSED for every name
// until Set; it stops when the test ends.
func StartUpstream(tb testing.TB) *Upstream {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listening for the stand-in resolver: %v", err)
	}
	u := &Upstream{Addr: pc.LocalAddr().String(), answers: map[string]Answer{}, queries: map[string]int{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(u.serve), NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	tb.Cleanup(func() { _ = srv.Shutdown() })
	return u
}

// Set makes the answers for name (any case, with or without the final
// dot) be a from now on.
func (u *Upstream) Set(name string, a Answer) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.answers[dns.CanonicalName(name)] = a
}

// Queries returns how many questions about name it has had.
func (u *Upstream) Queries(name string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.queries[dns.CanonicalName(name)]
}

func (u *Upstream) serve(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable, m.Compress = true, true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	u.mu.Lock()
	u.queries[name]++
	a, ok := u.answers[name]
	u.mu.Unlock()
	switch {
	case !ok:
		m.Rcode = dns.RcodeRefused
	case a.Drop:
		return
	default:
		m.Rcode = a.Rcode
		addrs := a.A
		if q.Qtype == dns.TypeAAAA {
			addrs = a.AAAA
		}
		if q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA {
			for _, ip := range addrs {
				rr, err := dns.NewRR(q.Name + " " + strconv.FormatUint(uint64(a.TTL), 10) + " IN " + dns.TypeToString[q.Qtype] + " " + ip)
				if err == nil {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		m.Answer = append(m.Answer, a.Records...)
	}
	_ = w.WriteMsg(m)
}
