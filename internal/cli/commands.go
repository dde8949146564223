package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/client"
	"github.com/gtmd/gtmd/pkg/health"
)

// runGet prints the traffic document, as YAML (with its revision in a
// comment) or JSON, as the node encodes it.
func runGet(r *run, args []string) error {
	if err := wantArgs(args, 1, 1, "what to get: config"); err != nil {
		return err
	}
	if args[0] != "config" {
		return usagef("gtmd get %s: the only thing to get is config", args[0])
	}
	mediaType := client.JSON
	if r.output == "yaml" {
		mediaType = client.YAML
	}
	d, err := r.api.Document(r.ctx, mediaType)
	if err != nil {
		return err
	}
	if r.output == "yaml" && d.Revision > 0 {
		fmt.Fprintf(r.stdout, "# revision %d\n", d.Revision)
	}
	return r.write(d.Body)
}

func runHealth(r *run, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	eps, err := r.api.Health(r.ctx)
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(admin.HealthList{Endpoints: eps})
	}
	return printHealth(r.stdout, eps, time.Now())
}

func runMembers(r *run, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	ms, err := r.api.Members(r.ctx)
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(admin.MemberList{Members: ms})
	}
	return printMembers(r.stdout, ms, time.Now())
}

func drainFlags(fs *flag.FlagSet, r *run) {
	fs.StringVar(&r.reason, "reason", "", "why, shown by gtmd health and recorded in the audit trail")
	fs.StringVar(&r.region, "region", "", "every endpoint of this region, in every service, instead of SERVICE ENDPOINT")
}

func runDrain(r *run, args []string) error {
	return setOverride(r, args, health.OverrideDown)
}

func runUndrain(r *run, args []string) error {
	if r.region != "" {
		return undrainRegion(r, args)
	}
	if err := wantArgs(args, 2, 2, "SERVICE ENDPOINT or --region REGION"); err != nil {
		return err
	}
	res, err := r.api.ClearOverrideWhy(r.ctx, args[0], args[1], r.reason)
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(res)
	}
	if res.NoOverride {
		// What undrain is for already holds: no failure.
		fmt.Fprintf(r.stdout, "%s of %s had no override, nothing to undrain: its health checks decide\n", res.Endpoint, res.Service)
		return nil
	}
	fmt.Fprintf(r.stdout, "undrained %s of %s: its health checks decide again\n", res.Endpoint, res.Service)
	return nil
}
