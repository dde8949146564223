package health

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/miekg/dns"
)

// dnsUDPSize is the EDNS0 payload size dns checks advertise.
const dnsUDPSize = 1232

// DNSChecker is the Checker of dns checks: it asks the server at the address
// the configured question over UDP (over TCP again when the UDP answer is
// truncated) and is healthy on NOERROR with at least one answer record.
type DNSChecker struct {
	address string
	name    string
	qtype   uint16
}

var _ Checker = (*DNSChecker)(nil)

// NewDNSChecker builds the checker of a dns check. QType defaults to A.
func NewDNSChecker(c config.Check) (*DNSChecker, error) {
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return nil, fmt.Errorf("check %q: %w", c.Name, err)
	}
	if c.Query == "" {
		return nil, fmt.Errorf("check %q: no query", c.Name)
	}
	qtype := dns.TypeA
	if c.QType != "" {
		t, ok := dns.StringToType[strings.ToUpper(c.QType)]
		if !ok {
			return nil, fmt.Errorf("check %q: %q is not a record type", c.Name, c.QType)
		}
		qtype = t
	}
	return &DNSChecker{address: c.Address, name: dns.Fqdn(c.Query), qtype: qtype}, nil
}

// Check sends the query and judges the response.
func (d *DNSChecker) Check(ctx context.Context) error {
	m := new(dns.Msg)
	m.SetQuestion(d.name, d.qtype)
	m.SetEdns0(dnsUDPSize, false)
	r, err := exchange(ctx, "udp", m, d.address)
	if err == nil && r.Truncated {
		r, err = exchange(ctx, "tcp", m, d.address)
	}
	if err != nil {
		return err
	}
	if r.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("%s %s: rcode %s", d.name, dns.TypeToString[d.qtype], dns.RcodeToString[r.Rcode])
	}
	if len(r.Answer) == 0 {
		return fmt.Errorf("%s %s: no answer records", d.name, dns.TypeToString[d.qtype])
	}
	return nil
}

// exchange asks m over network within ctx. The deadline of ctx is the
// whole budget (miekg/dns would otherwise cut each read at its own 2 s
// default, below a longer check timeout), and the end of ctx aborts the
// exchange at once (miekg/dns only heeds its deadline), so a Scheduler
// stopping a check does not wait for a server that never answers.
func exchange(ctx context.Context, network string, m *dns.Msg, address string) (*dns.Msg, error) {
	c := &dns.Client{Net: network, UDPSize: dnsUDPSize}
	if deadline, ok := ctx.Deadline(); ok {
		if c.Timeout = time.Until(deadline); c.Timeout <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	conn, err := c.DialContext(ctx, address)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	r, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return r, err
}
