package health

import (
	"context"
	"fmt"
	"net"
	"strings"

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
	r, _, err := (&dns.Client{Net: "udp", UDPSize: dnsUDPSize}).ExchangeContext(ctx, m, d.address)
	if err == nil && r.Truncated {
		r, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, m, d.address)
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
