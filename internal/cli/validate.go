package cli

import (
	"flag"
	"fmt"

	"github.com/gtmd/gtmd/pkg/config"
)

func validateFlags(fs *flag.FlagSet, r *run) {
	fs.StringVar(&r.file, "f", "", "traffic document to check (YAML or JSON)")
}

// runValidate checks a traffic document offline and prints every fault.
func runValidate(r *run, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	if r.file == "" {
		return usagef("-f FILE is required")
	}
	t, err := config.LoadTraffic(r.file)
	if err != nil {
		return fmt.Errorf("%s is invalid:\n%w", r.file, err)
	}
	// The store holds the document with its zone files merged: a file
	// that checks out here but could not be stored is not ok.
	stored, err := config.EncodeStored(t)
	if err != nil {
		return fmt.Errorf("%s cannot be applied: %w", r.file, err)
	}
	fmt.Fprintf(r.stdout, "%s: ok (%d zones, %d services, %d checks; %d of %d bytes stored)\n", r.file, len(t.Zones), len(t.Services), len(t.Checks), len(stored), config.MaxDocumentBytes)
	return nil
}
