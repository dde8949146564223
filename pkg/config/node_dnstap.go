package config

import (
	"fmt"
	"net/netip"
)

// The node file's dnstap section: a query log in the format BIND, Knot,
// Unbound, PowerDNS and CoreDNS write, so the tools that read theirs read
// gtmd's. Each node logs its own queries; the output is the node's.

// Dnstap is where and how much of the query log this node writes. With
// none of File, Unix and TCP set, nothing is logged.
type Dnstap struct {
	// File is a Frame Streams file, made anew when the node starts: a
	// file holds one stream, which a reader takes from its start.
	File string `yaml:"file" json:"file"`
	// Unix is a Unix socket a dnstap collector listens on.
	Unix string `yaml:"unix" json:"unix"`
	// TCP is the HOST:PORT a dnstap collector listens on.
	TCP string `yaml:"tcp" json:"tcp"`
	// Sample is the share of queries logged, in (0, 1].
	Sample float64 `yaml:"sample" json:"sample"`
	// Identity names the server in every message; empty is the node id.
	Identity string `yaml:"identity" json:"identity"`
	// Version is the server's version in every message; empty is gtmd's.
	Version string `yaml:"version" json:"version"`
}

// Enabled reports whether the node writes a query log.
func (d *Dnstap) Enabled() bool { return d.File != "" || d.Unix != "" || d.TCP != "" }

func defaultDnstap() Dnstap { return Dnstap{Sample: 1} }

func (n *Node) validateDnstap(l *faultList) {
	d := &n.Dnstap
	set := 0
	for _, o := range []string{d.File, d.Unix, d.TCP} {
		if o != "" {
			set++
		}
	}
	if set > 1 {
		l.addf("dnstap", "set one of file, unix and tcp, not %d", set)
	}
	if set == 0 && (d.Sample != 1 || d.Identity != "" || d.Version != "") {
		l.addf("dnstap", "needs one of file, unix or tcp to write to")
	}
	if d.TCP != "" {
		if _, err := netip.ParseAddrPort(d.TCP); err != nil {
			l.addf("dnstap.tcp", "%q is not an IP:port address", d.TCP)
		}
	}
	if !(d.Sample > 0 && d.Sample <= 1) {
		l.addf("dnstap.sample", "%s must be more than 0 and at most 1", fmt.Sprint(d.Sample))
	}
}
