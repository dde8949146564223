// Package resolver is gtmd's DNS wire handling: a dns.Handler that answers
// authoritatively from an immutable Snapshot, and the UDP and TCP
// listeners that feed it.
//
// A Snapshot holds everything a query needs: the zones with their
// precomputed RRsets, the compiled service policies, the health of
// every endpoint and the addresses of the endpoints named by hostname
// (WithTargets), which the caller looks up. The Handler reads the current one from an atomic
// pointer, so the query path takes no lock and never waits on I/O;
// builders make a new Snapshot away from the query path and swap it in
// whole. The package never imports the cluster store or the health
// checkers: what they learn arrives as a new Snapshot.
package resolver
