// Package cluster is the only package of gtmd that talks to etcd. It keeps
// the shared state of a cluster of nodes under one key prefix:
//
//	<prefix>traffic                     the traffic document (JSON), its zones' records apart
//	<prefix>members/<node>              each live node, under its lease
//	<prefix>observations/<node>/<check> each node's status of a check and since when, under its lease
//	<prefix>details/<node>              each node's latest latency and error per check, under its lease
//	<prefix>overrides/<service>/<id>    operator overrides, durable
//	<prefix>regions/<region>            region-wide operator overrides, durable
//	<prefix>audit/<time>-<node>-<n>     the audit trail, the newest Options.AuditKeep entries (the watch passes it by)
//	<prefix>external/<check>            pushed statuses of external checks, durable
//	<prefix>cookie-secret               the DNS cookie secrets every node shares, rotated
//	<prefix>dnssec/<zone>               each zone's DNSSEC key set (opaque, its private keys sealed), durable, never deleted
//	<prefix>zones/<zone> head           the generation of the zone's static records served (zones.go)
//	<prefix>zones/<zone> rr <gen> <i>/<n>  bucket i of n of the zone's static records (RRsets), durable
//
// A node writes an observation only when its status changes (and all of
// them when it takes a new lease); its liveness is the lease and the
// member entry's heartbeat. The detail of its latest probes, which no
// verdict needs, goes in one key at most every Options.DetailInterval.
// At steady state a cluster's writes per second are thus
// members/HeartbeatInterval + members/DetailInterval, whatever the number
// of checks (details.go).
//
// A Store watches the whole prefix from a known revision and reports each
// new immutable State, with whether etcd answers, on one channel
// (Updates) that keeps only the latest report a reader has not taken; on
// a compacted or broken watch it reads everything again and resumes. The
// values it keeps are pkg/health's (Observation, Override, External), and
// health.Evaluate turns them into the same verdicts on every node. The
// query path never calls into this package: the node builds resolver
// snapshots from States.
//
// A node without etcd endpoints runs its store on an embedded etcd,
// started by package embedded (pkg/cluster/embedded), the only package
// that links etcd's server; this one links only its client. Any Store
// lists etcd's alarms (alarm.go), since a store out of space still
// answers reads, and frees the space itself when given Options.Recover;
// and it says when etcd does not compact its history (history.go), which
// would end in the same refusal.
package cluster
