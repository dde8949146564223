package cli

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
)

func failoverFlags(fs *flag.FlagSet, r *run) {
	fs.BoolVar(&r.allNodes, "all-nodes", false, "take the propagation every node measured, the slowest node's p99")
}

// runFailover shows the failover bound of a service's endpoints.
func runFailover(r *run, args []string) error {
	if err := wantArgs(args, 1, 1, "SERVICE"); err != nil {
		return err
	}
	get := r.api.Failover
	if r.allNodes {
		get = r.api.FailoverAll
	}
	fb, err := get(r.ctx, args[0])
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(fb)
	}
	return printFailover(r.stdout, fb)
}

// printFailover shows the bound as a sum per endpoint, with what each
// part rests on.
func printFailover(w io.Writer, fb *admin.FailoverBound) error {
	fmt.Fprintf(w, "service:      %s (ttl %ds)\n", fb.Service, fb.TTL)
	where := "this node"
	if fb.Nodes != nil {
		where = "the nodes"
	}
	if fb.PropagationP99 != nil {
		fmt.Fprintf(w, "propagation:  p99 %s over the last %d failovers %s measured\n", seconds(*fb.PropagationP99), fb.Samples, where)
		if fb.Note != "" {
			fmt.Fprintf(w, "note:         %s\n", fb.Note)
		}
	} else {
		fmt.Fprintf(w, "propagation:  %s assumed: %s\n", seconds(admin.AssumedPropagation.Seconds()), fb.Note)
	}
	for _, n := range fb.Nodes {
		switch {
		case n.Error != "":
			fmt.Fprintf(w, "  %s: %s\n", n.Node, cell(n.Error))
		case n.PropagationP99 == nil:
			fmt.Fprintf(w, "  %s: no failover measured\n", n.Node)
		default:
			fmt.Fprintf(w, "  %s: p99 %s over %d\n", n.Node, seconds(*n.PropagationP99), n.Samples)
		}
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ENDPOINT\tCHECK\tDETECTION\t+ PROPAGATION\t+ TTL\t= WORST CASE\tDETECTED BY")
	for _, e := range fb.Endpoints {
		detection, worst := "-", "-"
		if e.DetectionSeconds != nil {
			detection = seconds(*e.DetectionSeconds)
		}
		if e.WorstCaseSeconds != nil {
			worst = seconds(*e.WorstCaseSeconds)
		}
		prop := seconds(e.PropagationP99)
		if !e.PropagationMeasured {
			prop += " (assumed)"
		}
		check := e.Check
		if check == "" {
			check = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%ds\t%s\t%s\n", e.ID, check, detection, prop, e.TTLSeconds, worst, cell(e.Detection))
	}
	return tw.Flush()
}

// seconds shows a figure of the bound as a duration to the millisecond:
// 550ms, 36.55s.
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < time.Millisecond {
		// A propagation within a millisecond is measured, not zero.
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
