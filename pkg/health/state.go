package health

import (
	"fmt"
	"time"
)

// Status is what a check currently says about its target.
type Status uint8

// The statuses of a check. Unknown, before the first result, counts as
// healthy: a fresh node must not drop every endpoint.
const (
	Unknown Status = iota
	Up
	Down
)

// String returns "unknown", "up" or "down".
func (s Status) String() string {
	switch s {
	case Up:
		return "up"
	case Down:
		return "down"
	default:
		return "unknown"
	}
}

// Healthy reports whether the status counts as healthy: Up or Unknown.
func (s Status) Healthy() bool { return s != Down }

// MarshalText writes the status as String does, so JSON carries "up".
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses "unknown", "up" or "down".
func (s *Status) UnmarshalText(b []byte) error {
	switch string(b) {
	case "unknown":
		*s = Unknown
	case "up":
		*s = Up
	case "down":
		*s = Down
	default:
		return fmt.Errorf("%q is not a health status (unknown, up, down)", b)
	}
	return nil
}

// State is a check's status and its latest observation.
type State struct {
	// Check is the check's name.
	Check string `json:"check"`
	// Status is the status after rise/fall.
	Status Status `json:"status"`
	// Since is when Status last changed, or when the check started.
	Since time.Time `json:"since"`
	// Reason says why the check has its status.
	Reason string `json:"reason"`
	// LastLatency is how long the latest probe took.
	LastLatency time.Duration `json:"last_latency"`
	// LastError is the latest probe's error, empty when it succeeded.
	LastError string `json:"last_error,omitempty"`
	// LastAt is when the latest observation was made; zero before one.
	LastAt time.Time `json:"last_at"`
	// Successes and Failures count the consecutive successes and failures
	// up to the latest observation; one of them is always zero.
	Successes int `json:"successes"`
	Failures  int `json:"failures"`
}

// Change is one status change of a check.
type Change struct {
	Check  string    `json:"check"`
	From   Status    `json:"from"`
	To     Status    `json:"to"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// observe folds one probe result into the state with the rise/fall rules
// of the package doc, and reports whether the status changed.
func (st *State) observe(err error, latency time.Duration, at time.Time, rise, fall int) bool {
	st.LastAt = at
	st.LastLatency = latency
	if err == nil {
		st.LastError = ""
		st.Successes++
		st.Failures = 0
	} else {
		st.LastError = err.Error()
		st.Failures++
		st.Successes = 0
	}
	switch {
	case st.Status == Unknown && err == nil:
		return st.set(Up, "first check succeeded", at)
	case st.Status == Down && err == nil && st.Successes >= rise:
		return st.set(Up, count(st.Successes, "success", "successes"), at)
	case st.Status != Down && err != nil && st.Failures >= fall:
		return st.set(Down, count(st.Failures, "failure", "failures")+": "+st.LastError, at)
	case st.Status == Unknown:
		// Still counted healthy; say how far it is from down.
		st.Reason = fmt.Sprintf("%s (down at %d): %s", count(st.Failures, "failure", "failures"), fall, st.LastError)
	}
	return false
}

// set changes the status and reports whether it did change.
func (st *State) set(to Status, reason string, at time.Time) bool {
	if st.Status == to {
		return false
	}
	st.Status, st.Reason, st.Since = to, reason, at
	return true
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d consecutive %s", n, many)
}
