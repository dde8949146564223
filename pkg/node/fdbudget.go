package node

import (
	"log/slog"
	"runtime"

	"github.com/gtmd/gtmd/pkg/config"
)

// The DNS TCP connection cap is fitted to the descriptor limit the way
// the admin API's is (adminConnCap): every DNS TCP connection holds a
// descriptor, and a flood that fills a cap larger than the limit drives
// the whole process to EMFILE, where the embedded store's file purge and
// the health checks fail. The admin API takes at most a quarter of what
// nodeDescriptorReserve leaves (adminConnCap); DNS TCP gets what is left
// once the node's own sockets are set aside too, split evenly over the
// listen addresses.

// nodeDescriptorReserve is what the DNS TCP budget leaves to the parts
// of the node it does not count: the embedded etcd's files (WAL segments,
// snapshots, the database, more while it purges) and connections, the
// store client, the runtime's own (probes in flight are counted apart,
// up to health.max_concurrent_probes). An idle node holds about 25.
const nodeDescriptorReserve = 100

// dnsTCPFloor is the least a DNS address is given however low the limit:
// with fewer the table still evicts for each new client, but a flood's
// connections would churn through it too fast for a client's query to be
// read. Where the limit is so low that the floor applies (under about
// 250), it is taken out of nodeDescriptorReserve.
const dnsTCPFloor = 16

// dnsTCPConnCap is the TCP connections each of addrs DNS addresses may
// hold: configured, lowered when that many per address, the admin API's
// cap adminCap, the sockets the node binds (UDP, listeners) and
// nodeDescriptorReserve would not fit in the descriptor limit (0: not
// known); never below dnsTCPFloor (or configured, if smaller).
func dnsTCPConnCap(configured int, limit uint64, adminCap, addrs, sockets int) int {
	if limit == 0 || addrs <= 0 {
		return configured
	}
	free := int64(limit) - int64(adminCap) - int64(sockets) - nodeDescriptorReserve
	per := free / int64(addrs)
	if per >= int64(configured) {
		return configured
	}
	return int(max(per, int64(min(configured, dnsTCPFloor))))
}

// dnsTCPMaxConnections is n's dns.tcp_max_connections fitted to the
// descriptor limit, with a warning when it is lowered. It counts the
// admin API's cap as serveAdmin sets it, so that the two fit together.
func dnsTCPMaxConnections(n *config.Node, limit uint64, log *slog.Logger) int {
	udp := n.DNS.UDPListeners
	if udp <= 0 {
		udp = runtime.NumCPU()
	}
	addrs := len(n.DNS.Listen)
	// Each address binds a TCP listener and its UDP sockets.
	sockets := addrs * (1 + udp)
	adminCap := 0
	if n.Admin.Listen != "" {
		adminCap = adminConnCap(n.Admin.Limits.MaxConnections, limit)
		sockets++
	}
	// Each probe in flight holds a connection to its target.
	sockets += n.Health.MaxConcurrentProbes
	configured := n.DNS.TCPMaxConnections
	c := dnsTCPConnCap(configured, limit, adminCap, addrs, sockets)
	if c != configured {
		log.Warn("dns.tcp_max_connections lowered to leave descriptors to the rest of the node",
			"tcp_max_connections", configured, "lowered_to", c, "descriptor_limit", limit, "addresses", addrs, "admin_max_connections", adminCap, "probe_ceiling", n.Health.MaxConcurrentProbes)
	}
	return c
}
