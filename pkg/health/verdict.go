package health

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// Verdict is what the counted results say about one check.
type Verdict struct {
	Status Status
	// Up and Down count the observations of each kind that decided a
	// probed check; zero for external and calculated checks.
	Up, Down int
	Reason   string
}

// verdicts decides checks by name, each once, children before parents.
type verdicts struct {
	in       *Inputs
	quorum   float64
	checks   map[string]*config.Check
	out      map[string]Verdict
	visiting map[string]bool
}

func newVerdicts(in *Inputs) *verdicts {
	v := &verdicts{
		in:       in,
		quorum:   quorumOf(in.Traffic),
		checks:   make(map[string]*config.Check, len(in.Traffic.Checks)),
		out:      make(map[string]Verdict, len(in.Traffic.Checks)),
		visiting: map[string]bool{},
	}
	for i := range in.Traffic.Checks {
		v.checks[in.Traffic.Checks[i].Name] = &in.Traffic.Checks[i]
	}
	return v
}

// quorumOf is the document's health quorum; a document that was not
// validated gets the default validation sets.
func quorumOf(t *config.Traffic) float64 {
	if q := t.Settings.HealthQuorum; q > 0 {
		return q
	}
	return config.DefaultHealthQuorum
}

// of returns the verdict of one check, deciding it on first use.
func (v *verdicts) of(name string) Verdict {
	if got, ok := v.out[name]; ok {
		return got
	}
	c := v.checks[name]
	var got Verdict
	switch {
	case c == nil:
		got = Verdict{Status: Unknown, Reason: "no such check"}
	case v.visiting[name]:
		// Validation rejects cycles; an unvalidated document ends here
		// rather than looping.
		return Verdict{Status: Unknown, Reason: "calculated checks form a cycle"}
	case c.Type == config.CheckExternal:
		got = externalVerdict(v.in.External[name], v.in.Now)
	case c.Type == config.CheckCalculated:
		v.visiting[name] = true
		st, reason := CalculatedStatus(c.Children, c.MinHealthy, func(child string) Status { return v.of(child).Status })
		delete(v.visiting, name)
		got = Verdict{Status: st, Reason: reason}
	default:
		got = observedVerdict(v.in.Observations, v.in.Vantages, name, v.quorum)
	}
	v.out[name] = got
	return got
}

// externalVerdict is the pushed status while it holds, Down once expired.
func externalVerdict(e External, now time.Time) Verdict {
	switch {
	case e.At.IsZero():
		return Verdict{Status: Unknown, Reason: "no status pushed yet"}
	case !now.Before(e.Expires):
		return Verdict{Status: Down, Reason: fmt.Sprintf("pushed status expired at %s", e.Expires.UTC().Format(time.RFC3339))}
	case e.Healthy:
		return Verdict{Status: Up, Reason: "pushed healthy"}
	default:
		return Verdict{Status: Down, Reason: "pushed unhealthy"}
	}
}

// observedVerdict applies the quorum rule to the counted observations:
// healthy when at least quorum of the nodes that have a result say so,
// counting only a sharded check's vantage points.
func observedVerdict(obs map[string]map[string]Observation, vantages map[string][]string, check string, quorum float64) Verdict {
	var up, down int
	count := func(st Status) {
		switch st {
		case Up:
			up++
		case Down:
			down++
		}
	}
	vs, sharded := vantages[check]
	if sharded {
		for i, node := range vs {
			if !slices.Contains(vs[:i], node) { // a node listed twice votes once
				count(obs[node][check].Status)
			}
		}
	} else {
		for _, byCheck := range obs {
			count(byCheck[check].Status)
		}
	}
	return quorumVerdict(up, down, quorum, sharded)
}

// quorumVerdict is the quorum rule over counts of nodes that see a check
// up and down; Evaluator keeps the counts rather than recounting them.
// The reason of a sharded check says vantage points, which are what
// voted.
func quorumVerdict(up, down int, quorum float64, sharded bool) Verdict {
	v := Verdict{Up: up, Down: down}
	total := v.Up + v.Down
	voters := "nodes"
	if sharded {
		voters = "vantage points"
	}
	if total == 0 {
		v.Status, v.Reason = Unknown, "no "+strings.TrimSuffix(voters, "s")+" has a result yet"
		return v
	}
	v.Reason = fmt.Sprintf("%d of %d %s see it healthy (quorum %g)", v.Up, total, voters, quorum)
	v.Status = Down
	if QuorumUp(v.Up, total, quorum) {
		v.Status = Up
	}
	return v
}

// QuorumUp is the quorum rule: a probed check is healthy when at least
// quorum of the total results that count say so. The epsilon makes 1 of
// 2 against 0.5 a tie despite float rounding, and ties lean healthy as
// Route 53 does.
func QuorumUp(up, total int, quorum float64) bool {
	return float64(up) >= quorum*float64(total)-1e-9
}
