// Package e2e runs gtmd the way its users meet it: a zone delegated from a
// parent to three gtmd nodes in two regions that share one etcd, asked
// through a caching recursive resolver that sends EDNS Client Subnet.
//
// Everything runs on loopback with the tools Debian ships: etcd-server for
// the store, Knot (or NSD) for the parent zone, which here is the root
// zone itself, and Unbound as the resolver whose root hints point at it.
// The tests build gtmd, start every process, break things the way
// production breaks them (a region's health target fails, a node is
// killed, etcd goes away, an operator drains a region) and measure how long
// the resolver's answers take to follow. See README.md.
//
// The package holds only tests; without the tools, or without root for
// port 53, they skip and say why.
package e2e
