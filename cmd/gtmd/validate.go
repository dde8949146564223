package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/gtmd/gtmd/pkg/config"
)

// validate checks a traffic document offline and prints every fault.
func validate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	file := fs.String("f", "", "traffic document to check (YAML or JSON)")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return fmt.Errorf("-f FILE is required")
	}
	t, err := config.LoadTraffic(*file)
	if err != nil {
		return fmt.Errorf("%s is invalid:\n%w", *file, err)
	}
	// The store holds the document with its zone files merged: a file
	// that checks out here but could not be stored is not ok.
	stored, err := config.EncodeStored(t)
	if err != nil {
		return fmt.Errorf("%s cannot be applied: %w", *file, err)
	}
	fmt.Fprintf(stdout, "%s: ok (%d zones, %d services, %d checks; %d of %d bytes stored)\n", *file, len(t.Zones), len(t.Services), len(t.Checks), len(stored), config.MaxDocumentBytes)
	return nil
}
