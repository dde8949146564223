package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ask is one DNS question as a client sends it.
type ask struct {
	name  string
	qtype uint16
	// ecs, when valid, is sent as an EDNS Client Subnet option (RFC 7871).
	ecs netip.Prefix
	// rd asks for recursion: set for the resolver, clear for the
	// authoritative servers.
	rd bool
	// do asks for DNSSEC records (RFC 3225), and for AD from a
	// validating resolver.
	do bool
}

// exchange sends q to server (IP:port) over UDP, and again over TCP when
// the answer is truncated.
func exchange(server string, q ask, timeout time.Duration) (*dns.Msg, time.Duration, error) {
	m := new(dns.Msg).SetQuestion(dns.Fqdn(q.name), q.qtype)
	m.RecursionDesired = q.rd
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(1232)
	if q.do {
		opt.SetDo()
	}
	if q.ecs.IsValid() {
		family := uint16(1)
		if q.ecs.Addr().Is6() {
			family = 2
		}
		opt.Option = append(opt.Option, &dns.EDNS0_SUBNET{
			Code: dns.EDNS0SUBNET, Family: family,
			SourceNetmask: uint8(q.ecs.Bits()), Address: net.IP(q.ecs.Masked().Addr().AsSlice()),
		})
	}
	m.Extra = append(m.Extra, opt)
	start := time.Now()
	c := &dns.Client{Net: "udp", Timeout: timeout}
	r, _, err := c.Exchange(m, server)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.Exchange(m, server)
	}
	return r, time.Since(start), err
}

// addrs returns the A and AAAA addresses of the answer section, sorted.
func addrs(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch v := rr.(type) {
		case *dns.A:
			out = append(out, v.A.String())
		case *dns.AAAA:
			out = append(out, v.AAAA.String())
		}
	}
	slices.Sort(out)
	return out
}

// ecsOf returns the client subnet option of a response, nil without one.
func ecsOf(m *dns.Msg) *dns.EDNS0_SUBNET {
	opt := m.IsEdns0()
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if s, ok := o.(*dns.EDNS0_SUBNET); ok {
			return s
		}
	}
	return nil
}

// resolve asks server and wants NOERROR: it returns the answer's
// addresses, or an error that says what came back instead.
func resolve(server string, q ask, timeout time.Duration) ([]string, error) {
	r, _, err := exchange(server, q, timeout)
	if err != nil {
		return nil, fmt.Errorf("%s %s from %s (ecs %v): %w", q.name, dns.TypeToString[q.qtype], server, q.ecs, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%s %s from %s (ecs %v): %s", q.name, dns.TypeToString[q.qtype], server, q.ecs, dns.RcodeToString[r.Rcode])
	}
	return addrs(r), nil
}

// answerIs is a poll condition: server answers q with exactly want.
func answerIs(server string, q ask, want ...string) func() error {
	slices.Sort(want)
	return func() error {
		got, err := resolve(server, q, time.Second)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s from %s (ecs %v): got %s, want %s", q.name, server, q.ecs, show(got), show(want))
		}
		return nil
	}
}

func show(addrs []string) string {
	if len(addrs) == 0 {
		return "no addresses"
	}
	return strings.Join(addrs, " ")
}

// subnets24 returns every /24 of p (an IPv4 prefix of /24 or wider), for
// questions whose client subnet the resolver has not cached yet.
func subnets24(p netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	n := 1 << (24 - p.Bits())
	a := p.Masked().Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8
	for i := range n {
		v := base + uint32(i)<<8
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), 0}), 24))
	}
	return out
}
