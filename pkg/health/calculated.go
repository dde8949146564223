package health

import (
	"fmt"
	"strings"
)

// CalculatedStatus is the status of a calculated check from its children's
// current statuses: healthy when at least minHealthy children are healthy,
// an Unknown child counting as healthy. It is Down when even counting the
// Unknown children fewer than minHealthy are healthy, Up when at least
// minHealthy children are Up, and Unknown in between (which counts as
// healthy). The reason names the children that are down.
func CalculatedStatus(children []string, minHealthy int, status func(check string) Status) (Status, string) {
	var up, unknown int
	var down []string
	for _, c := range children {
		switch status(c) {
		case Up:
			up++
		case Down:
			down = append(down, c)
		default:
			unknown++
		}
	}
	healthy := up + unknown
	reason := fmt.Sprintf("%d of %d children healthy, need %d", healthy, len(children), minHealthy)
	if unknown > 0 {
		reason += fmt.Sprintf(" (%d unknown)", unknown)
	}
	if len(down) > 0 {
		reason += "; down: " + strings.Join(down, ", ")
	}
	switch {
	case healthy < minHealthy:
		return Down, reason
	case up >= minHealthy:
		return Up, reason
	default:
		return Unknown, reason
	}
}
