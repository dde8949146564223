// Package health holds gtmd's health rules. A Scheduler probes the http,
// https, tcp and dns checks of a traffic document and turns raw results
// into a status with rise/fall hysteresis. Evaluate, a pure function, is
// the one rule that turns results into verdicts: the results of the nodes
// that count, operator overrides, pushed statuses of external checks and
// the quorum give every check a verdict (calculated checks from their
// children's) and every endpoint its health. Evaluator keeps that rule's
// result current one change at a time (a node's result, a node counted or
// not, an override, a pushed status, time passing), deciding again only
// the checks and endpoints that depend on the change; a differential test
// holds it to Evaluate. Trust says whose results
// count: a node's own always, other nodes' only while the store is
// reachable and once they have spoken since it came back. Vantages (and
// Fleet, for many checks) says which live nodes probe a sharded check:
// a rendezvous choice of a few per region that every node makes alike;
// only those nodes' results vote on it (Inputs.Vantages,
// Evaluator.SetVantages). Targets looks up the host names endpoints are
// named by (config.Endpoint.Target) through the node's resolvers, each
// again when its TTL runs out; a target that does not resolve takes its
// endpoints out as a failed check does (Inputs.Unresolved,
// Evaluator.SetUnresolved), and its addresses go, through the caller,
// into the answer snapshot.
//
// The package never talks to etcd and never touches DNS answers: the
// caller carries results to and from the store and hands the endpoint
// health to whoever builds the answer snapshot. Observation, External and
// Override are the forms the store keeps and the admin API shows.
//
// Status rules: a check is Unknown until its first result, and Unknown
// counts as healthy. From Unknown the first success makes it Up, and fall
// consecutive failures make it Down (until then it stays Unknown). From Up,
// fall consecutive failures make it Down; from Down, rise consecutive
// successes make it Up.
//
// Timing: each check's first probe happens after a random delay below
// min(interval, 0.5s), so a node starting up learns fast while its checks
// do not all fire at once (when so many start that this would probe faster
// than both 200 a second and twice the rate of all checks, the first probes
// spread over as long as that takes, never more than the interval); the
// gap between the first and second probe is random in (0, interval], which
// spreads the checks evenly over the interval; after that each check runs
// once per interval. Probes are due at fixed times, so neither a probe's
// duration nor its wait for a slot moves the next one. The probes in
// flight are bounded by a semaphore sized from the checks (twice the sum
// of timeout/interval, ProbeSlots) within a ceiling
// (Options.MaxConcurrent), so a hanging target holds its own slot and
// nobody else's; each probe is bounded by its timeout.
//
// The package keeps no package-level state. Time, jitter, logging and
// metrics are injected through Options; healthtest provides a fake clock.
package health
