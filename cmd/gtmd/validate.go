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
	fmt.Fprintf(stdout, "%s: ok (%d zones, %d services, %d checks)\n", *file, len(t.Zones), len(t.Services), len(t.Checks))
	return nil
}
