// Package node is a whole gtmd node, importable: the cluster store
// (embedded etcd unless endpoints are given), this node's health checks,
// the snapshots the DNS handler answers from, fail-static when the store
// is away, the served-document copy that answers across a restart, and
// the admin API's backend.
//
// A program embeds a node in four calls:
//
//	n, err := node.New(node.Options{Config: cfg, Logger: log})
//	err = n.Start(ctx)   // returns once DNS, the API and the store serve
//	...                  // watch n.Err() for fatal errors
//	err = n.Shutdown(ctx)
//
// With dns.listen empty and admin.listen "" the node binds nothing of its
// own: DNSHandler and AdminHandler mount in the embedder's servers.
package node
