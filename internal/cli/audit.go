package cli

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/audit"
)

func auditFlags(fs *flag.FlagSet, r *run) {
	fs.IntVar(&r.limit, "limit", 0, "only the newest N entries (default: every one kept)")
}

func runAudit(r *run, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	entries, err := r.api.Audit(r.ctx, r.limit)
	if err != nil {
		return err
	}
	if r.output == "json" {
		if entries == nil {
			entries = []audit.Entry{}
		}
		return r.writeJSON(entries)
	}
	return printAudit(r.stdout, entries)
}

func printAudit(w io.Writer, entries []audit.Entry) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "WHEN\tWHO\tFROM\tACTION\tTARGET\tREASON")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.When.UTC().Format(time.RFC3339), cell(e.Who), cmp.Or(e.From, "-"), e.Action, cell(e.Target), cmp.Or(cell(e.Reason), "-"))
	}
	return tw.Flush()
}
