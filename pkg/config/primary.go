package config

import (
	"fmt"
	"net/netip"
	"time"
)

// A zone's static records may come from a primary name server by zone
// transfer (RFC 5936 AXFR), as a secondary of it: operators keep the
// records they manage elsewhere there and serve gtmd's services beside
// them. The key is named here and held in each node's file, as for
// transfers out.

// ZonePrimary names the primary a zone's static records are transferred
// from.
type ZonePrimary struct {
	// Servers are the primary's IP:port addresses, asked in order.
	Servers []string `yaml:"servers" json:"servers"`
	// Key is the name of a key of the node file's tsig_keys that signs
	// the SOA queries and transfers; empty: unsigned.
	Key string `yaml:"key,omitempty" json:"key,omitempty"`
	// Refresh is how often the primary's SOA serial is compared with the
	// one last transferred; zero: the refresh of the primary's SOA,
	// within MinPrimaryRefresh and MaxPrimaryRefresh.
	Refresh Duration `yaml:"refresh,omitempty" json:"refresh,omitempty"`
}

// Bounds of the refresh a primary's SOA sets, as Knot bounds it
// (refresh-min-interval, refresh-max-interval), so that a primary
// cannot have its secondaries ask every second nor never.
const (
	MinPrimaryRefresh = 10 * time.Second
	MaxPrimaryRefresh = time.Hour
)

// RefreshAfter is how long after a check the next one comes, when the
// primary's SOA says refresh seconds.
func (p *ZonePrimary) RefreshAfter(refresh uint32) time.Duration {
	if p.Refresh > 0 {
		return time.Duration(p.Refresh)
	}
	return min(max(time.Duration(refresh)*time.Second, MinPrimaryRefresh), MaxPrimaryRefresh)
}

// validatePrimary normalizes the zone's primary and records its faults.
func validatePrimary(z *Zone, path string, l *faultList) {
	p := z.Primary
	if p == nil {
		return
	}
	path += ".primary"
	if len(p.Servers) == 0 {
		l.addf(path+".servers", "needs at least one IP:port address of the primary")
	}
	for i, s := range p.Servers {
		if ap, err := netip.ParseAddrPort(s); err != nil || ap.Port() == 0 {
			l.addf(fmt.Sprintf("%s.servers[%d]", path, i), "%q is not an IP:port address (e.g. 192.0.2.1:53, [2001:db8::1]:53)", s)
		}
	}
	if p.Key != "" {
		if name, ok := validateName(path+".key", p.Key, l); ok {
			p.Key = name
		}
	}
	if p.Refresh < 0 || (p.Refresh > 0 && time.Duration(p.Refresh) < time.Second) {
		l.addf(path+".refresh", "must be at least 1s (or unset: the primary's SOA refresh)")
	}
	if len(z.Records) > 0 || z.ZoneFile != "" {
		l.addf(path, "cannot be set with records or zone_file: the zone's static records come from the primary, and each transfer replaces them")
	}
	if len(z.UpdatePolicy) > 0 {
		l.addf(path, "cannot be set with update_policy: the primary's next transfer would undo an update (send updates to the primary)")
	}
}
