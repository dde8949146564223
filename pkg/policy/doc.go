// Package policy owns endpoint selection for gtmd services: given a compiled
// service, the health of its endpoints and what is known about the client, it
// picks the endpoints to answer with, the EDNS Client Subnet scope that answer
// holds for, and (on request) a trace of every step that led there.
//
// Selection follows Route 53's routing policies as the README words them:
// networks pins first for every policy, then failover, geo, latency,
// geoproximity, weighted or multivalue, and when_all_down when no endpoint is
// healthy.
//
// The package is pure. It must never import pkg/health, pkg/cluster or
// anything that speaks DNS, and must never do I/O, read the clock or keep
// package-level mutable state: health arrives as a []bool, location as a
// geo.Location, randomness through the caller's Rand. Compile does the work
// once per traffic document, which config validation has checked: it
// enforces no rule about the document again, so it cannot fail. Select
// runs on the DNS query path and does not allocate when it is not tracing.
package policy
