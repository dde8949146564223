package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
)

// dnssecVerbs are the subcommands of gtmd dnssec.
const dnssecVerbs = "ds, status, rollover or submitted"

// runDNSSEC runs gtmd dnssec VERB ZONE.
func runDNSSEC(r *run, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: %s", dnssecVerbs)
	}
	verb, args := args[0], args[1:]
	if !slices.Contains([]string{"ds", "status", "rollover", "submitted"}, verb) {
		return usagef("gtmd dnssec %s: want %s", verb, dnssecVerbs)
	}
	if len(args) == 0 {
		return usagef("gtmd dnssec %s needs ZONE, the zone whose keys to use (such as example.com)", verb)
	}
	if err := wantArgs(args, 1, 1, "ZONE"); err != nil {
		return err
	}
	zone := args[0]
	// done says what was done, with the zone for %s; status does nothing.
	var call func(context.Context, string) (*admin.DNSSECStatus, error)
	var done string
	switch verb {
	case "ds":
		return r.printDS(zone)
	case "status":
		call = r.api.DNSSECStatus
	case "rollover":
		call, done = r.api.DNSSECRollover, "key rollover of %s started"
	default: // "submitted"
		call, done = r.api.DNSSECSubmitted, "recorded: the new DS of %s is at the parent"
	}
	st, err := call(r.ctx, zone)
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(st)
	}
	if done != "" {
		fmt.Fprintf(r.stdout, done+"\n", st.Zone)
	}
	return printDNSSECStatus(r.stdout, st, time.Now())
}

// printDS prints the DS records as served, so that they can be pasted:
// nothing added.
func (r *run) printDS(zone string) error {
	if r.output != "table" {
		return usagef("-o %s: gtmd dnssec ds prints the DS records as text, ready to paste into the parent zone", r.output)
	}
	ds, err := r.api.DNSSECDS(r.ctx, zone)
	if err != nil {
		return err
	}
	_, err = io.WriteString(r.stdout, ds)
	return err
}

// printDNSSECStatus shows whether the zone can be signed, its keys, and
// the rollover with what the operator should do next.
func printDNSSECStatus(w io.Writer, st *admin.DNSSECStatus, now time.Time) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "zone:\t%s\n", st.Zone)
	switch {
	case !st.Enabled:
		fmt.Fprintf(tw, "signing:\toff: dnssec is not enabled for the zone\n")
	case !st.SigningReady:
		fmt.Fprintf(tw, "signing:\tNOT READY: %s\n", cell(st.Degraded))
	default:
		fmt.Fprintf(tw, "signing:\tready, %s\n", st.Algorithm)
	}
	if t := st.Signatures.OldestExpiry; !t.IsZero() {
		fmt.Fprintf(tw, "signatures:\toldest expires %s (%s)\n", t.UTC().Format(time.RFC3339), until(t, now))
	}
	if ro := st.Rollover; ro == nil {
		fmt.Fprintf(tw, "rollover:\tnone\n")
	} else {
		line := fmt.Sprintf("step %s, started %s", ro.Step, ago(ro.Started, now))
		if ro.WaitingFor != "" {
			line += ", waiting for " + ro.WaitingFor
		}
		fmt.Fprintf(tw, "rollover:\t%s\n", line)
		if !ro.NextStepAt.IsZero() {
			fmt.Fprintf(tw, "next step:\t%s (%s)\n", ro.NextStepAt.UTC().Format(time.RFC3339), until(ro.NextStepAt, now))
		}
		if ro.Hint != "" {
			fmt.Fprintf(tw, "to do:\t%s\n", cell(ro.Hint))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Keys) == 0 {
		fmt.Fprintln(w, "keys: (none)")
		return nil
	}
	tw = newTable(w)
	fmt.Fprintln(tw, "TAG\tROLE\tALGORITHM\tSTATE\tSINCE")
	for _, k := range st.Keys {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", k.Tag, k.Role, k.Algorithm, k.State, ago(k.Since, now))
	}
	return tw.Flush()
}

// until is how far off t is, for people: "in 3h", or "passed".
func until(t, now time.Time) string {
	if !t.After(now) {
		return "passed"
	}
	return "in " + age(now, t)
}

// signedLine is explain's line on whether the answer was signed:
// "yes, key 12345 (ECDSAP256SHA256)", "no (the zone is not signed)".
func signedLine(d *admin.ExplainDNSSEC) string {
	if !d.Signed {
		if d.Reason == "" {
			return "no"
		}
		return "no (" + d.Reason + ")"
	}
	tags := make([]string, len(d.KeyTags))
	for i, t := range d.KeyTags {
		tags[i] = strconv.Itoa(int(t))
	}
	s := "yes"
	switch len(tags) {
	case 0:
	case 1:
		s += ", key " + tags[0]
	default:
		s += ", keys " + strings.Join(tags, ", ")
	}
	if d.Algorithm != "" {
		s += " (" + strings.ToUpper(d.Algorithm) + ")"
	}
	return s
}
