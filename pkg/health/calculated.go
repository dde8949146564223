package health

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
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

// recompute sets a calculated check's status from its children and
// reports the status it had. Called with s.mu held.
func (s *Scheduler) recompute(e *entry, at time.Time) (from Status, changed bool) {
	st, reason := CalculatedStatus(e.cfg.Children, e.cfg.MinHealthy, s.statusLocked)
	from = e.state.Status
	changed = e.state.set(st, reason, at)
	e.state.Reason = reason
	e.state.LastAt = at
	return from, changed
}

// recomputeAll recomputes every calculated check, children before
// parents, so a change is reported once. Called with s.mu held.
func (s *Scheduler) recomputeAll(at time.Time) {
	done := map[string]bool{}
	var visit func(e *entry)
	visit = func(e *entry) {
		if done[e.cfg.Name] {
			return
		}
		// Marked before the children: a cycle (which validation rejects)
		// ends here instead of looping.
		done[e.cfg.Name] = true
		for _, name := range e.cfg.Children {
			if c, ok := s.checks[name]; ok && c.cfg.Type == config.CheckCalculated {
				visit(c)
			}
		}
		if from, changed := s.recompute(e, at); changed {
			s.changed(e, from, false)
		}
	}
	for _, e := range s.checks {
		if e.cfg.Type == config.CheckCalculated {
			visit(e)
		}
	}
}

// recomputeDependents recomputes the calculated checks with child among
// their children, and theirs in turn. depth stops a cycle, which
// validation rejects anyway. Called with s.mu held.
func (s *Scheduler) recomputeDependents(child string, at time.Time, depth int) {
	if depth > len(s.checks) {
		return
	}
	for _, e := range s.checks {
		if e.cfg.Type != config.CheckCalculated || !slices.Contains(e.cfg.Children, child) {
			continue
		}
		if from, changed := s.recompute(e, at); changed {
			s.changed(e, from, false)
			s.recomputeDependents(e.cfg.Name, at, depth+1)
		}
	}
}
