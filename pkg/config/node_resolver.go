package config

import (
	"fmt"
	"net/netip"
	"time"
)

// The node file's resolver section: the recursive resolvers an endpoint
// named by hostname (services[].endpoints[].target) is looked up through.
// Each node resolves for itself, as a client of the load balancer would
// from that node's place.

// Resolver is where and how this node looks up endpoint targets.
type Resolver struct {
	// Servers are the IP:PORT addresses of recursive resolvers, asked in
	// order; empty means the nameservers of /etc/resolv.conf.
	Servers []string `yaml:"servers" json:"servers"`
	// MinTTL and MaxTTL bound how long a lookup's answer is used before
	// the target is looked up again, whatever its TTL says.
	MinTTL Duration `yaml:"min_ttl" json:"min_ttl"`
	MaxTTL Duration `yaml:"max_ttl" json:"max_ttl"`
	// Timeout bounds one question to one server.
	Timeout Duration `yaml:"timeout" json:"timeout"`
}

// Target lookup defaults: a TTL below 5 s would have every node ask
// the resolver several times a second for nothing; one above an hour
// would follow a load balancer's move too late.
const (
	DefaultResolverMinTTL  = 5 * time.Second
	DefaultResolverMaxTTL  = time.Hour
	DefaultResolverTimeout = 2 * time.Second
)

func defaultResolver() Resolver {
	return Resolver{MinTTL: Duration(DefaultResolverMinTTL), MaxTTL: Duration(DefaultResolverMaxTTL), Timeout: Duration(DefaultResolverTimeout)}
}

func (n *Node) validateResolver(l *faultList) {
	r := &n.Resolver
	for i, s := range r.Servers {
		if _, err := netip.ParseAddrPort(s); err != nil {
			l.addf(fmt.Sprintf("resolver.servers[%d]", i), "%q is not an IP:port address (a name server is named by its address, 192.0.2.53:53 or [2001:db8::53]:53)", s)
		}
	}
	if r.MinTTL <= 0 {
		l.addf("resolver.min_ttl", "%s must be more than 0", time.Duration(r.MinTTL))
	}
	if r.MaxTTL < r.MinTTL {
		l.addf("resolver.max_ttl", "%s must be at least min_ttl (%s)", time.Duration(r.MaxTTL), time.Duration(r.MinTTL))
	}
	if r.Timeout <= 0 {
		l.addf("resolver.timeout", "%s must be more than 0", time.Duration(r.Timeout))
	}
}
