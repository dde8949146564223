package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/client"
	"github.com/gtmd/gtmd/pkg/config"
)

func applyFlags(fs *flag.FlagSet, r *run) {
	fs.StringVar(&r.file, "f", "", "traffic document to apply (YAML or JSON); zone files it names are merged in here")
	fs.BoolVar(&r.dryRun, "dry-run", false, "validate on the node too, and change nothing")
	fs.BoolVar(&r.wait, "wait", false, "return once every live node serves the new document; fail if they do not in time")
	fs.DurationVar(&r.waitTimeout, "wait-timeout", 0, "how long --wait waits (default: the node's, 30s)")
	fs.Int64Var(&r.ifMatch, "if-match", 0, "apply only if the stored revision is this one (gtmd get config prints it)")
	fs.StringVar(&r.reason, "reason", "", "why, recorded in the audit trail (gtmd audit)")
}

// runApply checks the document here (zone files merged, faults with
// file:line, the size it is stored at), then sends its stored form.
func runApply(r *run, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	if r.file == "" {
		return usagef("-f FILE is required")
	}
	if r.wait && r.dryRun {
		return usagef("--wait and --dry-run do not go together: a dry run stores nothing")
	}
	if r.waitTimeout != 0 && !r.wait {
		return usagef("--wait-timeout needs --wait")
	}
	if r.waitTimeout < 0 || r.waitTimeout > admin.MaxWaitTimeout {
		return usagef("--wait-timeout %s: want at most %s", r.waitTimeout, admin.MaxWaitTimeout)
	}
	doc, err := config.LoadTraffic(r.file)
	if err != nil {
		err = fmt.Errorf("%s is invalid, nothing was sent:\n%w", r.file, err)
		return r.refusedJSON(r.file+" is invalid, nothing was sent", err)
	}
	// The body is the stored form, so one the store could not hold is
	// refused here with its size, as gtmd validate does, rather than by
	// the node with only its limit on bodies.
	body, err := config.EncodeStored(doc)
	if err != nil {
		err = fmt.Errorf("%s cannot be applied, nothing was sent: %w", r.file, err)
		return r.refusedJSON(err.Error(), err)
	}
	o := client.ApplyOptions{IfMatch: r.ifMatch, Wait: r.wait, WaitTimeout: r.waitTimeout, Reason: r.reason}
	if r.dryRun {
		res, err := r.api.DryRun(r.ctx, body, o)
		if err != nil {
			return r.nodeRefused(err)
		}
		if r.output == "json" {
			return r.writeJSON(res)
		}
		fmt.Fprintf(r.stdout, "%s: valid (%d zones, %d services, %d checks); dry run, nothing changed (revision %d)\n",
			r.file, res.Zones, res.Services, res.Checks, res.Revision)
		return nil
	}
	res, err := r.api.Apply(r.ctx, body, o)
	if err != nil {
		return r.nodeRefused(err)
	}
	if r.output == "json" {
		if err := r.writeJSON(res); err != nil {
			return err
		}
	} else {
		printApplied(r, res)
	}
	if r.wait && !res.InSync {
		return fmt.Errorf("revision %d is stored, but %s did not serve it within %s", res.Revision, orList(res.NotInSync, "the nodes"), res.Waited)
	}
	return nil
}

// printApplied says what an apply did. Without --wait the nodes have
// not been waited for, so a lagging node is no news: PENDING is said
// only with --wait, where it is the outcome asked about.
func printApplied(r *run, res *admin.ApplyResult) {
	what := fmt.Sprintf("applied at revision %d", res.Revision)
	if res.Unchanged {
		what = fmt.Sprintf("unchanged (revision %d)", res.Revision)
	}
	if !r.wait {
		if !res.Unchanged {
			what += "; nodes catching up"
		}
		fmt.Fprintf(r.stdout, "%s: %s\n", r.file, what)
		return
	}
	fmt.Fprintf(r.stdout, "%s: %s, %s (%d of %d nodes serve it)\n",
		r.file, what, res.Status, len(res.Members)-len(res.NotInSync), len(res.Members))
	for _, m := range res.Members {
		if !m.InSync {
			fmt.Fprintf(r.stdout, "  %s serves revision %d\n", m.ID, m.Revision)
		}
	}
}

// nodeRefused passes on the node's refusal; with -o json a refused
// document's faults go to stdout as well.
func (r *run) nodeRefused(err error) error {
	var ae *client.APIError
	if r.output == "json" && errors.As(err, &ae) && len(ae.Faults) > 0 {
		return r.refusedJSON(ae.Message, err)
	}
	return err
}

func orList(ids []string, none string) string {
	if len(ids) == 0 {
		return none
	}
	return strings.Join(ids, ", ")
}
