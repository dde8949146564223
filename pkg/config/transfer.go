package config

import (
	"fmt"
	"net/netip"
)

// A zone's transfers out to secondaries (RFC 5936 AXFR, RFC 1995 IXFR
// answered in full) and the NOTIFY messages that tell them of a change
// (RFC 1996). The keys are named here and held in each node's file, so
// the document can be checked only for their shape; a node logs a name
// it does not hold and refuses transfers with it.

// TransferACL lets the holder of one TSIG key transfer the zone from
// some networks.
type TransferACL struct {
	// Key is the name of a key of the node file's tsig_keys.
	Key string `yaml:"key" json:"key"`
	// Networks are the CIDR prefixes a transfer may come from; a bare
	// address is a single host.
	Networks []string `yaml:"networks" json:"networks"`
}

// TransfersServices reports whether service names go into the zone's
// transfers, as the answer to a client with no location: the default.
func (z *Zone) TransfersServices() bool { return z.TransferServices == nil || *z.TransferServices }

// Prefixes returns the ACL's networks parsed; validation has refused any
// that do not parse.
func (a *TransferACL) Prefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(a.Networks))
	for _, n := range a.Networks {
		if p, err := parsePrefixOrAddr(n); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parsePrefixOrAddr reads a CIDR prefix, or an address as the prefix of
// that one host, masked to its bits.
func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// validateTransfer normalizes the zone's allow_transfer and notify and
// records their faults.
func validateTransfer(z *Zone, path string, l *faultList) {
	for i := range z.AllowTransfer {
		a := &z.AllowTransfer[i]
		p := fmt.Sprintf("%s.allow_transfer[%d]", path, i)
		if name, ok := validateName(p+".key", a.Key, l); ok {
			a.Key = name
		}
		if len(a.Networks) == 0 {
			l.addf(p+".networks", "needs at least one network (0.0.0.0/0 and ::/0 allow any source)")
		}
		for j, n := range a.Networks {
			if _, err := parsePrefixOrAddr(n); err != nil {
				l.addf(fmt.Sprintf("%s.networks[%d]", p, j), "%q is not a CIDR prefix or an IP address", n)
			}
		}
	}
	if z.Signed() && len(z.AllowTransfer) > 0 {
		// A secondary would serve the zone without signatures, and gtmd
		// keeps no signed copy to send: the transfer would be refused.
		l.addf(path+".allow_transfer", "cannot be set on a zone with dnssec enabled: gtmd signs answers online and transfers only unsigned zones (remove allow_transfer and notify, or dnssec)")
	}
	if len(z.Notify) > 0 && len(z.AllowTransfer) == 0 {
		l.addf(path+".notify", "needs allow_transfer: the secondaries it tells of a change could not transfer the zone")
	}
	for i, t := range z.Notify {
		ap, err := netip.ParseAddrPort(t)
		if err != nil || ap.Port() == 0 {
			l.addf(fmt.Sprintf("%s.notify[%d]", path, i), "%q is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)", t)
		}
	}
}
