package cli

import (
	"fmt"
	"os"
)

// runZone runs gtmd zone put ZONE FILE and gtmd zone get ZONE.
func runZone(r *run, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: put or get")
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "put":
		if err := wantArgs(args, 2, 2, "ZONE FILE"); err != nil {
			return err
		}
		return r.putZone(args[0], args[1])
	case "get":
		if err := wantArgs(args, 1, 1, "ZONE"); err != nil {
			return err
		}
		if r.output != "table" {
			return usagef("-o %s: gtmd zone get prints the zone as a master file", r.output)
		}
		return r.api.ZoneRecords(r.ctx, args[0], r.stdout)
	}
	return usagef("gtmd zone %s: want put or get", verb)
}

// putZone streams the file to the node as it reads it: a zone of
// millions of records is never held here.
func (r *run) putZone(zone, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading the zone file: %w", err)
	}
	defer f.Close()
	res, err := r.api.PutZoneRecords(r.ctx, zone, f)
	if err != nil {
		return err
	}
	if r.output == "json" {
		return r.writeJSON(res)
	}
	_, err = fmt.Fprintf(r.stdout, "zone %s: %d RRsets stored at revision %d; nodes catching up\n", res.Zone, res.RRsets, res.Revision)
	return err
}
