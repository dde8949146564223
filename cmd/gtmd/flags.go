package main

import (
	"flag"
	"fmt"
	"strings"
)

// parseInterspersed parses flags that may stand before or after the
// positional arguments, and refuses positional arguments where none are
// expected.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	if len(positional) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(positional, " "))
	}
	return nil
}

// listFlag is a flag that may be repeated or given comma-separated.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l.values = append(l.values, s)
		}
	}
	return nil
}
