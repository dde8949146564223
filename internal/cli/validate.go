package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gtmd/gtmd/pkg/config"
)

func validateFlags(fs *flag.FlagSet, r *run) {
	fs.StringVar(&r.file, "f", "", "traffic document to check (YAML or JSON)")
	fs.StringVar(&r.nodeFile, "node", "", "node file to check instead (gtmd serve --config FILE)")
}

// validation is what validate -o json prints for a valid document; an
// invalid one prints the API's error body with every fault, as apply -o
// json does.
type validation struct {
	File     string `json:"file"`
	Valid    bool   `json:"valid"`
	Zones    int    `json:"zones"`
	Services int    `json:"services"`
	Checks   int    `json:"checks"`
	// StoredBytes is the document's size as the store would hold it,
	// which must stay within MaxBytes.
	StoredBytes int `json:"stored_bytes"`
	MaxBytes    int `json:"max_bytes"`
}

// runValidate checks a traffic document offline and prints every fault.
func runValidate(r *run, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	switch {
	case r.file != "" && r.nodeFile != "":
		return usagef("-f and --node check different files: give one")
	case r.nodeFile != "":
		return validateNode(r)
	case r.file == "":
		return usagef("-f FILE (a traffic document) or --node FILE (a node file) is required")
	}
	t, err := config.LoadTraffic(r.file)
	if err != nil {
		if strings.Contains(err.Error(), `unknown field "node"`) {
			err = fmt.Errorf("%s is invalid (it looks like a node file: check it with gtmd validate --node %s):\n%w", r.file, r.file, err)
		} else {
			err = fmt.Errorf("%s is invalid:\n%w", r.file, err)
		}
		return r.refusedJSON(r.file+" is invalid", err)
	}
	// The store holds the document with its zone files merged: a file
	// that checks out here but could not be stored is not ok.
	stored, err := config.EncodeStored(t)
	if err != nil {
		err = fmt.Errorf("%s cannot be applied: %w", r.file, err)
		return r.refusedJSON(err.Error(), err)
	}
	if r.output == "json" {
		return r.writeJSON(validation{File: r.file, Valid: true, Zones: len(t.Zones), Services: len(t.Services), Checks: len(t.Checks),
			StoredBytes: len(stored), MaxBytes: config.MaxDocumentBytes})
	}
	fmt.Fprintf(r.stdout, "%s: ok (%d zones, %d services, %d checks; %d of %d bytes stored)\n", r.file, len(t.Zones), len(t.Services), len(t.Checks), len(stored), config.MaxDocumentBytes)
	return nil
}

// validateNode checks a node file offline, as gtmd serve reads it, and
// that the files it names and serve reads at start are there.
func validateNode(r *run) error {
	n, err := config.LoadNode(r.nodeFile)
	if err != nil {
		if strings.Contains(err.Error(), `unknown field "zones"`) {
			err = fmt.Errorf("%s is invalid (it looks like a traffic document: check it with gtmd validate -f %s):\n%w", r.nodeFile, r.nodeFile, err)
		} else {
			err = fmt.Errorf("%s is invalid:\n%w", r.nodeFile, err)
		}
		return r.refusedJSON(r.nodeFile+" is invalid", err)
	}
	// As serve reads them: relative to the node file's directory.
	n.ResolvePaths(filepath.Dir(r.nodeFile))
	if err := missingFiles(n); err != nil {
		err = fmt.Errorf("%s names files serve cannot read:\n%w", r.nodeFile, err)
		return r.refusedJSON(r.nodeFile+" names files serve cannot read", err)
	}
	if r.output == "json" {
		return r.writeJSON(struct {
			File  string `json:"file"`
			Valid bool   `json:"valid"`
			Node  string `json:"node"`
		}{r.nodeFile, true, n.Node.ID})
	}
	fmt.Fprintf(r.stdout, "%s: ok (node %s)\n", r.nodeFile, n.Node.ID)
	return nil
}

// missingFiles lists the files a node file names that serve must read
// as it starts but cannot: a missing tokens file or GeoIP database stops
// it. The data directory, the traffic file, the DNSSEC key file on an
// embedded store and the dnstap output are made when missing, so they
// are left out.
func missingFiles(n *config.Node) error {
	var errs []error
	for _, p := range n.Paths() {
		if !p.ReadAtStart || *p.Path == "" {
			continue
		}
		if f, err := os.Open(*p.Path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Field, err))
		} else {
			f.Close()
		}
	}
	return errors.Join(errs...)
}
