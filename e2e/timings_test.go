package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// timings collects what the scenarios measured, for the table printed at
// the end of the run.
type timings struct {
	mu   sync.Mutex
	rows []timing
}

type timing struct {
	scenario string
	what     string
	took     string
	bound    string // the bound asserted, "" when only reported
	note     string
}

// add records a duration and the bound it was held to (0: none).
func (tm *timings) add(scenario, what string, took, bound time.Duration, note string) {
	b := ""
	if bound > 0 {
		b = "≤ " + bound.String()
	}
	tm.addText(scenario, what, round(took).String(), b, note)
}

// round keeps three significant digits or so: milliseconds, and
// microseconds below 10ms, where loopback answers are.
func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// addText records a measure that is not a duration (a count, a rate).
func (tm *timings) addText(scenario, what, took, bound, note string) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.rows = append(tm.rows, timing{scenario, what, took, bound, note})
}

// print logs the table under head and prints it on stdout, where a run
// without -v shows it too.
func (tm *timings) print(t *testing.T, head string) {
	table := tm.table()
	t.Logf("%s:\n%s", head, table)
	fmt.Printf("\n=== %s\n%s\n", head, table)
}

// table renders every row.
func (tm *timings) table() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "scenario\tmeasured\ttook\tbound\tnote")
	for _, r := range tm.rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.scenario, r.what, r.took, r.bound, r.note)
	}
	_ = w.Flush()
	return b.String()
}
