package main

// defaultGCPercent is how much Go's heap grows between collections in
// `gtmd serve` unless GOGC says otherwise: by half, not the runtime's
// default of doubling. A node's heap is mostly its zones' records, held
// for long, and a large change (a put of a million records) makes a
// great deal of garbage beside them: measured on such a put
// (bench/zones.sh 1000000), a peak of 1.1 GiB instead of 1.7 and 330 MiB
// resident after it instead of 360, in the same time; the query path
// allocates nothing, so it does not pay for collections more often.
const defaultGCPercent = 50

// setGCPercent sets the collector's target to defaultGCPercent, through
// set (debug.SetGCPercent), unless getenv finds GOGC set, which decides
// as it always does. It returns the percent it set, or 0.
func setGCPercent(getenv func(string) string, set func(int) int) int {
	if getenv("GOGC") != "" {
		return 0
	}
	set(defaultGCPercent)
	return defaultGCPercent
}
