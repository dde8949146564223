package cluster

import (
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// Verdict is the cluster's view of one check.
type Verdict struct {
	Status health.Status
	// Up and Down count the fresh observations of each kind.
	Up, Down int
	Reason   string
}

// Aggregate computes every check's status from a state, the same on every
// node: an external check from its pushed status (down once
// expired), a calculated check from its children's verdicts, any other
// from the live members' observations: healthy when at least quorum of
// those that have a result say so (ties healthy), unknown (counted
// healthy) when none has. now decides expiry.
func Aggregate(s *State, quorum float64, now time.Time) map[string]Verdict {
	out := map[string]Verdict{}
	if s == nil || s.Traffic == nil {
		return out
	}
	checks := map[string]*config.Check{}
	for i := range s.Traffic.Checks {
		checks[s.Traffic.Checks[i].Name] = &s.Traffic.Checks[i]
	}
	var verdict func(name string, depth int) Verdict
	verdict = func(name string, depth int) Verdict {
		if v, ok := out[name]; ok {
			return v
		}
		c := checks[name]
		var v Verdict
		switch {
		case c == nil || depth > len(checks):
			v = Verdict{Status: health.Unknown, Reason: "no such check"}
		case c.Type == config.CheckExternal:
			v = externalVerdict(s.External[name], now)
		case c.Type == config.CheckCalculated:
			st, reason := health.CalculatedStatus(c.Children, c.MinHealthy, func(child string) health.Status {
				return verdict(child, depth+1).Status
			})
			v = Verdict{Status: st, Reason: reason}
		default:
			v = observedVerdict(s, name, quorum)
		}
		out[name] = v
		return v
	}
	for name := range checks {
		verdict(name, 0)
	}
	return out
}

func externalVerdict(e External, now time.Time) Verdict {
	switch {
	case e.At.IsZero():
		return Verdict{Status: health.Unknown, Reason: "no status pushed yet"}
	case !now.Before(e.Expires):
		return Verdict{Status: health.Down, Reason: fmt.Sprintf("pushed status expired at %s", e.Expires.UTC().Format(time.RFC3339))}
	case e.Healthy:
		return Verdict{Status: health.Up, Reason: "pushed healthy"}
	default:
		return Verdict{Status: health.Down, Reason: "pushed unhealthy"}
	}
}

// observedVerdict applies the quorum rule to the observations of live
// members.
func observedVerdict(s *State, check string, quorum float64) Verdict {
	var v Verdict
	for node, obs := range s.Observations {
		if _, live := s.Members[node]; !live {
			continue
		}
		switch obs[check].Status {
		case health.Up:
			v.Up++
		case health.Down:
			v.Down++
		}
	}
	total := v.Up + v.Down
	if total == 0 {
		v.Status, v.Reason = health.Unknown, "no node has a result yet"
		return v
	}
	v.Reason = fmt.Sprintf("%d of %d nodes see it healthy (quorum %g)", v.Up, total, quorum)
	// Compared in integers so 1 of 2 against 0.5 is a tie, and ties lean
	// healthy as Route 53 does.
	v.Status = health.Down
	if float64(v.Up) >= quorum*float64(total)-1e-9 {
		v.Status = health.Up
	}
	return v
}
