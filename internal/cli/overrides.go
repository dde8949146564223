package cli

import (
	"fmt"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/health"
)

// overrideTarget checks the arguments: SERVICE ENDPOINT, or none with
// --region.
func overrideTarget(r *run, args []string) error {
	if r.region != "" {
		return wantArgs(args, 0, 0, "--region REGION without SERVICE ENDPOINT")
	}
	return wantArgs(args, 2, 2, "SERVICE ENDPOINT or --region REGION")
}

func runForceUp(r *run, args []string) error {
	return setOverride(r, args, health.OverrideUp)
}

// setOverride forces an endpoint or a region down or up.
func setOverride(r *run, args []string, state string) error {
	if err := overrideTarget(r, args); err != nil {
		return err
	}
	req := admin.OverrideRequest{State: state, Reason: r.reason}
	what := "leaves it out of its answers"
	if state == health.OverrideUp {
		what = "answers with it, whatever its checks say,"
	}
	if r.region != "" {
		res, err := r.api.SetRegionOverride(r.ctx, r.region, req)
		if err != nil {
			return err
		}
		if r.output == "json" {
			return r.writeJSON(res)
		}
		fmt.Fprintf(r.stdout, "region %s %s: every node %s for every endpoint of the region without an override of its own, until gtmd undrain --region %s\n", res.Region, overrideWord(state), what, res.Region)
		return nil
	}
	res, err := r.api.SetOverride(r.ctx, args[0], args[1], req)
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(res)
	}
	fmt.Fprintf(r.stdout, "%s %s of %s: every node %s until gtmd undrain\n", overrideWord(state), res.Endpoint, res.Service, what)
	return nil
}

func overrideWord(state string) string {
	if state == health.OverrideUp {
		return "forced up"
	}
	return "drained"
}

// undrainRegion clears a region's override.
func undrainRegion(r *run, args []string) error {
	if err := overrideTarget(r, args); err != nil {
		return err
	}
	res, err := r.api.ClearRegionOverride(r.ctx, r.region, r.reason)
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(res)
	}
	if res.NoOverride {
		// What undrain is for already holds: no failure.
		fmt.Fprintf(r.stdout, "region %s had no override, nothing to undrain: its endpoints follow their checks (or their own overrides)\n", res.Region)
		return nil
	}
	fmt.Fprintf(r.stdout, "undrained region %s: its endpoints follow their checks (or their own overrides) again\n", res.Region)
	return nil
}
