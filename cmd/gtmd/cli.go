package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Environment variables the operator subcommands read when their flag is
// not given.
const (
	envAdmin     = "GTMD_ADMIN"
	envTokenFile = "GTMD_TOKEN_FILE"
	defaultAdmin = "http://127.0.0.1:8300"
)

// Exit codes of the operator subcommands.
const (
	exitOK    = 0
	exitFail  = 1 // the call failed, or its outcome is not what was asked
	exitUsage = 2 // the command line is wrong
)

// cliUsage lists the operator subcommands, for the usage of gtmd.
const cliUsage = `  apply      replace the traffic document: gtmd apply -f traffic.yaml [--dry-run] [--wait]
  get        print the traffic document: gtmd get config [-o yaml|json]
  health     every endpoint's health: gtmd health
  members    the live nodes: gtmd members
  drain      force an endpoint down: gtmd drain SERVICE ENDPOINT [--reason R]
  undrain    clear an endpoint's override: gtmd undrain SERVICE ENDPOINT
  explain    the answer a node gives and why: gtmd explain NAME [TYPE] [--client IP] [--ecs CIDR] [--all-nodes]
`

// cliCommand is one operator subcommand.
type cliCommand struct {
	args    string // what follows the command name in its usage line
	summary string
	// outputs are the -o values it takes, the first being the default.
	outputs []string
	flags   func(fs *flag.FlagSet, c *cliRun) // its own flags, if any
	run     func(c *cliRun, args []string) error
}

var cliCommands = map[string]*cliCommand{
	"apply":   {args: "-f FILE [--dry-run] [--wait [--wait-timeout D]] [--if-match REV]", summary: "Replace the traffic document, after checking it here.", outputs: []string{"table", "json"}, flags: applyFlags, run: runApply},
	"get":     {args: "config", summary: "Print the traffic document.", outputs: []string{"yaml", "json"}, run: runGet},
	"health":  {summary: "Show every service endpoint's health and each node's observations.", outputs: []string{"table", "json"}, run: runHealth},
	"members": {summary: "Show the live nodes.", outputs: []string{"table", "json"}, run: runMembers},
	"drain":   {args: "SERVICE ENDPOINT [--reason R]", summary: "Force an endpoint down on every node, whatever its checks say.", outputs: []string{"table", "json"}, flags: drainFlags, run: runDrain},
	"undrain": {args: "SERVICE ENDPOINT", summary: "Clear an endpoint's override: its checks decide again.", outputs: []string{"table", "json"}, run: runUndrain},
	"explain": {args: "NAME [TYPE] [--client IP] [--ecs CIDR] [--all-nodes]", summary: "Show the answer a node gives and every step of why; with --all-nodes, ask every node and say whether they agree.", outputs: []string{"table", "json"}, flags: explainFlags, run: runExplain},
}

// usageError is a wrong command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// cliRun is one run of an operator subcommand.
type cliRun struct {
	ctx    context.Context
	stdout io.Writer
	output string
	api    *apiClient

	// Flags of particular commands.
	file        string
	dryRun      bool
	wait        bool
	waitTimeout time.Duration
	ifMatch     int64
	reason      string
	client      string
	ecs         string
	allNodes    bool
}

// runCLI runs the operator subcommand cmd, if it is one, and returns its
// exit code: 0 on success, 1 when the call fails (the API's message is
// printed), 2 on a wrong command line.
func runCLI(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) (handled bool, code int) {
	return runCLIEnv(ctx, cmd, args, stdout, stderr, os.Getenv)
}

// runCLIEnv is runCLI reading the environment through getenv, which tests
// replace.
func runCLIEnv(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer, getenv func(string) string) (bool, int) {
	spec, ok := cliCommands[cmd]
	if !ok {
		return false, 0
	}
	c := &cliRun{ctx: ctx, stdout: stdout}
	fs := flag.NewFlagSet("gtmd "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var adminURL, tokenFile string
	fs.StringVar(&adminURL, "admin", "", "admin API base URL (env "+envAdmin+", default "+defaultAdmin+")")
	fs.StringVar(&tokenFile, "token-file", "", "file holding the bearer token (env "+envTokenFile+")")
	fs.StringVar(&c.output, "o", spec.outputs[0], "output: "+strings.Join(spec.outputs, " or "))
	if spec.flags != nil {
		spec.flags(fs, c)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gtmd %s %s [flags]\n\n%s\n\nFlags:\n", cmd, spec.args, spec.summary)
		fs.PrintDefaults()
	}
	args, err := parseWithArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return true, exitOK
	case err != nil:
		// flag has printed the fault and the usage.
		return true, exitUsage
	}
	if !slices.Contains(spec.outputs, c.output) {
		err = usagef("-o %s: want %s", c.output, strings.Join(spec.outputs, " or "))
	}
	if err == nil {
		c.api, err = newAPIClient(cmp.Or(adminURL, getenv(envAdmin), defaultAdmin), cmp.Or(tokenFile, getenv(envTokenFile)))
	}
	if err == nil {
		err = spec.run(c, args)
	}
	var ue *usageError
	switch {
	case err == nil:
		return true, exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "gtmd %s: %v\nUsage: gtmd %s %s [flags] (gtmd %s -h for the flags)\n", cmd, err, cmd, spec.args, cmd)
		return true, exitUsage
	default:
		fmt.Fprintf(stderr, "gtmd %s: %v\n", cmd, err)
		return true, exitFail
	}
}

func applyFlags(fs *flag.FlagSet, c *cliRun) {
	fs.StringVar(&c.file, "f", "", "traffic document to apply (YAML or JSON); zone files it names are merged in here")
	fs.BoolVar(&c.dryRun, "dry-run", false, "validate on the node too, and change nothing")
	fs.BoolVar(&c.wait, "wait", false, "return once every live node serves the new document; fail if they do not in time")
	fs.DurationVar(&c.waitTimeout, "wait-timeout", 0, "how long --wait waits (default: the node's, 30s)")
	fs.Int64Var(&c.ifMatch, "if-match", 0, "apply only if the stored revision is this one (gtmd get config prints it)")
}

func drainFlags(fs *flag.FlagSet, c *cliRun) {
	fs.StringVar(&c.reason, "reason", "", "why, shown by gtmd health")
}

func explainFlags(fs *flag.FlagSet, c *cliRun) {
	fs.StringVar(&c.client, "client", "", "the client's address (default: this machine's, as the node sees it)")
	fs.StringVar(&c.ecs, "ecs", "", "an EDNS Client Subnet, such as 198.51.100.0/24")
	fs.BoolVar(&c.allNodes, "all-nodes", false, "ask every node and say whether they agree (exit 1 when they do not)")
}

// parseWithArgs parses flags that may stand before or after the
// positional arguments and returns the positional arguments. Everything
// after "--" is positional.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
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

// wantArgs checks the number of positional arguments.
func wantArgs(args []string, lo, hi int, what string) error {
	if len(args) < lo || len(args) > hi {
		return usagef("want %s, got %d argument(s): %s", what, len(args), strings.Join(args, " "))
	}
	return nil
}
