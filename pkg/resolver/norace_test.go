//go:build !race

package resolver_test

// raceEnabled: the race detector makes allocation counts meaningless.
const raceEnabled = false
