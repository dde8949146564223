// Package flagx holds what gtmd's command lines need beyond package flag:
// flags that may follow the positional arguments, and list flags. It is
// shared by `gtmd serve` and the operator subcommands so that every
// command parses alike.
package flagx

import (
	"flag"
	"fmt"
	"strings"
)

// Parse parses flags that may stand before or after the positional
// arguments, as operators type them ("gtmd drain SVC EP --reason x"), and
// returns the positional arguments in order. Everything after "--" is
// positional.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// ParseNoArgs is Parse for a command that takes flags only: a positional
// argument is a mistake, most often a flag's value without its flag.
func ParseNoArgs(fs *flag.FlagSet, args []string) error {
	positional, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(positional, " "))
	}
	return nil
}

// List is a flag that may be repeated or given comma-separated. Given
// tells a list set to nothing apart from a flag not given, so that the
// flag overrides a file's key only when it is on the command line.
type List struct {
	Values []string
	Given  bool
}

// String returns the values comma-separated, as flag's defaults show them.
func (l *List) String() string { return strings.Join(l.Values, ",") }

// Set adds the comma-separated values of one use of the flag; the first
// use replaces any default.
func (l *List) Set(v string) error {
	if !l.Given {
		l.Values, l.Given = nil, true
	}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l.Values = append(l.Values, s)
		}
	}
	return nil
}
