package health

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// maxTargetAddrs is how many addresses of each family a target answers
// with, the lowest: a load balancer has a handful, and an answer of
// hundreds would not fit a UDP response.
const maxTargetAddrs = 32

// lookup is the result of looking up one target's A and AAAA records.
type lookup struct {
	// addrs are the addresses answered, sorted, IPv4 first.
	addrs []netip.Addr
	// ttl is the least TTL of the records that made the answer (the
	// CNAMEs on the way included): how long it may be used.
	ttl time.Duration
	// failure says why the lookup failed ("NXDOMAIN", "SERVFAIL",
	// "timeout", "no addresses", ...); "" when it did not.
	failure string
	// negative is set when the name itself says it has no address
	// (NXDOMAIN, or neither family has any), as opposed to resolvers that
	// could not be asked or could not answer.
	negative bool
}

// lookupTarget asks servers, in order, for name's A and AAAA records,
// each question bounded by timeout. A question goes to the next server
// when one times out or answers other than NOERROR or NXDOMAIN; either
// family failing so fails the lookup, so a half answer never replaces a
// whole one.
func lookupTarget(ctx context.Context, servers []string, name string, timeout time.Duration) lookup {
	var out lookup
	ttl := uint32(0)
	first := true
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		r, failure := askServers(ctx, servers, name, qtype, timeout)
		if failure != "" {
			return lookup{failure: failure}
		}
		from := len(out.addrs)
		if r.Rcode == dns.RcodeNameError {
			return lookup{failure: "NXDOMAIN", negative: true}
		}
		for _, rr := range r.Answer {
			h := rr.Header()
			switch v := rr.(type) {
			case *dns.A:
				// A record without data (rdlength 0) unpacks with no
				// address: passed over, as any record of another type.
				if a, ok := netip.AddrFromSlice(v.A.To4()); ok && qtype == dns.TypeA {
					out.addrs = append(out.addrs, a)
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok && qtype == dns.TypeAAAA {
					out.addrs = append(out.addrs, a)
				}
			case *dns.CNAME:
			default:
				continue
			}
			if first || h.Ttl < ttl {
				ttl, first = h.Ttl, false
			}
		}
		family := out.addrs[from:]
		slices.SortFunc(family, func(a, b netip.Addr) int { return a.Compare(b) })
		family = slices.Compact(family)
		out.addrs = out.addrs[:from+min(len(family), maxTargetAddrs)]
	}
	if len(out.addrs) == 0 {
		return lookup{failure: "no addresses", negative: true}
	}
	out.ttl = time.Duration(ttl) * time.Second
	return out
}

// askServers asks one question of each server in turn until one
// answers NOERROR or NXDOMAIN; otherwise it says how the last one failed.
func askServers(ctx context.Context, servers []string, name string, qtype uint16, timeout time.Duration) (*dns.Msg, string) {
	if len(servers) == 0 {
		return nil, "no resolver to ask"
	}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(dnsUDPSize, false)
	failure := ""
	for _, server := range servers {
		r, err := askOne(ctx, server, m, timeout)
		switch {
		case err != nil:
			failure = lookupError(err)
			if ctx.Err() != nil {
				return nil, failure
			}
		case r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError:
			return r, ""
		default:
			failure = dns.RcodeToString[r.Rcode]
		}
	}
	return nil, failure
}

// askOne asks m of server within timeout, over TCP again when the UDP
// answer is truncated.
func askOne(ctx context.Context, server string, m *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := exchange(ctx, "udp", m, server)
	if err == nil && r.Truncated {
		r, err = exchange(ctx, "tcp", m, server)
	}
	return r, err
}

// lookupError names a failed exchange as the reason shows it, in a
// word that stays the same from one lookup to the next (the error text
// holds the local port, which changes each time): "timeout" for a server
// that did not answer in time, "refused" for one whose port is closed,
// "unreachable" for one the network cannot reach, else the error.
func lookupError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "unreachable"
	}
	return err.Error()
}
