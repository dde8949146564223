// Package embedded runs a single-member etcd inside the gtmd process: the
// store of a node configured without etcd endpoints. It is the only
// package of gtmd that links etcd's server (raft, bbolt, the WAL), so a
// program that only needs a cluster.Store does not carry them.
//
// Start returns an *Etcd that serves on loopback only, with
// authentication on before its client port ever opens (setup.go,
// auth.go), its peer port sealed (peer.go), its log and fatal errors
// turned into slog and a *Fault instead of an exit or a panic (log.go),
// and its database kept small (upkeep.go). A node connects a
// cluster.Store to it with Endpoints and Credentials, and hands Recover
// to the store for NOSPACE alarms.
//
// The package never imports pkg/cluster: the store is the client of this
// server, not the other way round, and cluster's own tests start it.
package embedded
