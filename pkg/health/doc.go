// Package health observes the endpoints of a traffic document: it probes
// them with http, https, tcp and dns checkers, derives calculated checks from
// their children, accepts pushed status for external checks, and turns raw
// results into a status with rise/fall hysteresis.
//
// The package only observes. It never talks to etcd and never touches DNS
// answers: a Scheduler reports each status change through Options.OnChange
// and its States, and EndpointHealth turns statuses and operator overrides
// into per-endpoint health bits for whoever builds the answer snapshot.
//
// Status rules: a check is Unknown until its first result, and Unknown
// counts as healthy. From Unknown the first success makes it Up, and fall
// consecutive failures make it Down (until then it stays Unknown). From Up,
// fall consecutive failures make it Down; from Down, rise consecutive
// successes make it Up.
//
// Timing: each check's first probe happens after a random delay below
// min(interval, 1s), so a node starting up learns fast while its checks do
// not all fire at once; the gap between the first and second probe is
// random in (0, interval], which spreads the checks evenly over the
// interval; after that each check runs once per interval. Probes are bounded
// by a semaphore (Options.MaxConcurrent) and each one by its timeout.
//
// The package keeps no package-level state. Time, jitter, logging and
// metrics are injected through Options; healthtest provides a fake clock.
package health
