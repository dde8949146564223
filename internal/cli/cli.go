// Package cli is gtmd's operator subcommands: apply, get, health,
// members, drain, undrain, force-up, audit, explain and dnssec, which call a node's admin API
// through pkg/client, and validate, which checks a document offline. It
// owns their flags, their output (tables for people, -o json for
// scripts), their environment variables and their exit codes; cmd/gtmd
// only dispatches to Run.
package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gtmd/gtmd/internal/flagx"
	"github.com/gtmd/gtmd/pkg/client"
)

// Environment variables the operator subcommands read when their flag is
// not given, and the admin API they call without either.
const (
	EnvAdmin     = "GTMD_ADMIN"
	EnvTokenFile = "GTMD_TOKEN_FILE"
	DefaultAdmin = "http://127.0.0.1:8300"
)

// Exit codes of the subcommands.
const (
	ExitOK    = 0
	ExitFail  = 1 // the call failed, or its outcome is not what was asked
	ExitUsage = 2 // the command line is wrong
)

// Usage lists the subcommands, one a line, for the usage of gtmd.
const Usage = `  validate   check a traffic document offline: gtmd validate -f traffic.yaml [-o json]
  apply      replace the traffic document: gtmd apply -f traffic.yaml [--dry-run] [--wait]
  get        print the traffic document: gtmd get config [-o yaml|json]
  health     every endpoint's health: gtmd health
  failover   how long a service's endpoints take to fail over, at worst: gtmd failover SERVICE [--all-nodes]
  members    the live nodes: gtmd members
  drain      force an endpoint or a region down: gtmd drain SERVICE ENDPOINT | --region R [--reason R]
  undrain    clear an endpoint's or a region's override: gtmd undrain SERVICE ENDPOINT | --region R
  force-up   force an endpoint or a region up: gtmd force-up SERVICE ENDPOINT | --region R [--reason R]
  audit      who changed what, when, from where and why: gtmd audit [--limit N]
  explain    the answer a node gives and why: gtmd explain NAME [TYPE] [--client IP] [--ecs CIDR] [--all-nodes]
  dnssec     a signed zone's DS records, keys and rollover: gtmd dnssec ds|status|rollover|submitted ZONE
`

// Env is what a run reads and writes besides its command line.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment (os.Getenv); nil is an empty one.
	Getenv func(string) string
	// Version is gtmd's, sent to the node as the User-Agent gtmd/VERSION.
	Version string
}

// command is one subcommand.
type command struct {
	args    string // what follows the command name in its usage line
	summary string
	// offline commands call no node: they take no --admin or
	// --token-file.
	offline bool
	// outputs are the -o values it takes, the first being the default.
	outputs []string
	flags   func(fs *flag.FlagSet, r *run) // its own flags, if any
	run     func(r *run, args []string) error
}

// lookup returns the subcommand called name.
func lookup(name string) (*command, bool) {
	table := map[string]*command{
		"validate": {args: "-f FILE | --node FILE", summary: "Check a traffic document offline, as apply checks it before sending it, or a node file, as serve reads it.", offline: true, outputs: []string{"table", "json"}, flags: validateFlags, run: runValidate},
		"apply":    {args: "-f FILE [--dry-run] [--wait [--wait-timeout D]] [--if-match REV]", summary: "Replace the traffic document, after checking it here.", outputs: []string{"table", "json"}, flags: applyFlags, run: runApply},
		"get":      {args: "config", summary: "Print the traffic document.", outputs: []string{"yaml", "json"}, run: runGet},
		"health":   {summary: "Show every service endpoint's health and each node's observations.", outputs: []string{"table", "json"}, run: runHealth},
		"failover": {args: "SERVICE [--all-nodes]", summary: "Show, per endpoint of a service, the worst case from its region going dark to every resolver having stopped using it: detection + propagation + TTL; with --all-nodes, the slowest node's propagation.", outputs: []string{"table", "json"}, flags: failoverFlags, run: runFailover},
		"members":  {summary: "Show the live nodes.", outputs: []string{"table", "json"}, run: runMembers},
		"drain":    {args: "SERVICE ENDPOINT | --region REGION [--reason R]", summary: "Force an endpoint down on every node, whatever its checks say; with --region, every endpoint of the region in every service.", outputs: []string{"table", "json"}, flags: drainFlags, run: runDrain},
		"undrain":  {args: "SERVICE ENDPOINT | --region REGION [--reason R]", summary: "Clear an endpoint's or a region's override: checks decide again.", outputs: []string{"table", "json"}, flags: drainFlags, run: runUndrain},
		"force-up": {args: "SERVICE ENDPOINT | --region REGION [--reason R]", summary: "Force an endpoint up on every node, whatever its checks say; with --region, every endpoint of the region in every service.", outputs: []string{"table", "json"}, flags: drainFlags, run: runForceUp},
		"audit":    {args: "[--limit N]", summary: "Show the audit trail: who applied, drained, undrained, forced up, pushed a check status or rolled keys, when, from where and why; oldest first.", outputs: []string{"table", "json"}, flags: auditFlags, run: runAudit},
		"explain":  {args: "NAME [TYPE] [--client IP] [--ecs CIDR] [--all-nodes]", summary: "Show the answer a node gives and every step of why; with --all-nodes, ask every node and say whether they agree.", outputs: []string{"table", "json"}, flags: explainFlags, run: runExplain},
		"dnssec":   {args: "ds|status|rollover|submitted ZONE", summary: "ds prints the DS records the parent zone should hold, ready to paste; status shows the zone's keys, whether this node can sign it, and its key rollover with what to do next; rollover starts a key rollover; submitted says the new DS is published at the parent, so that the rollover goes on.", outputs: []string{"table", "json"}, run: runDNSSEC},
		"zone":     {args: "put ZONE FILE | get ZONE", summary: "put makes the records of a master file (its SOA and apex NS ignored) all of a zone's static records, the document's included, streaming the file; get prints the zone as a master file.", outputs: []string{"table", "json"}, run: runZone},
	}
	c, ok := table[name]
	return c, ok
}

// usageError is a wrong command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is one run of a subcommand.
type run struct {
	ctx    context.Context
	stdout io.Writer
	output string
	api    *client.Client

	// Flags of particular commands.
	file        string
	nodeFile    string
	dryRun      bool
	wait        bool
	waitTimeout time.Duration
	ifMatch     int64
	reason      string
	region      string
	limit       int
	client      string
	ecs         string
	allNodes    bool
}

// Run runs the subcommand cmd with its arguments, if cmd is one, and
// returns its exit code: ExitOK, ExitFail when the call fails (the API's
// message is printed on Stderr), ExitUsage on a wrong command line.
func Run(ctx context.Context, env Env, cmd string, args []string) (handled bool, code int) {
	spec, ok := lookup(cmd)
	if !ok {
		return false, 0
	}
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	r := &run{ctx: ctx, stdout: env.Stdout}
	fs := flag.NewFlagSet("gtmd "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var adminURL, tokenFile string
	if !spec.offline {
		fs.StringVar(&adminURL, "admin", "", "admin API base URL (env "+EnvAdmin+", default "+DefaultAdmin+")")
		fs.StringVar(&tokenFile, "token-file", "", "file holding the bearer token (env "+EnvTokenFile+")")
	}
	if len(spec.outputs) > 0 {
		fs.StringVar(&r.output, "o", spec.outputs[0], "output: "+strings.Join(spec.outputs, " or "))
	}
	if spec.flags != nil {
		spec.flags(fs, r)
	}
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: gtmd %s %s [flags]\n\n%s\n\nFlags:\n", cmd, spec.args, spec.summary)
		fs.PrintDefaults()
	}
	args, err := flagx.Parse(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return true, ExitOK
	case err != nil:
		// flag has printed the fault and the usage.
		return true, ExitUsage
	}
	if len(spec.outputs) > 0 && !slices.Contains(spec.outputs, r.output) {
		err = usagef("-o %s: want %s", r.output, strings.Join(spec.outputs, " or "))
	}
	if !spec.offline {
		if err == nil {
			r.api, err = newClient(cmp.Or(adminURL, getenv(EnvAdmin), DefaultAdmin), cmp.Or(tokenFile, getenv(EnvTokenFile)), env.Version)
		}
	}
	if err == nil {
		err = spec.run(r, args)
	}
	err = explainAuth(err, cmp.Or(tokenFile, getenv(EnvTokenFile)))
	var ue *usageError
	switch {
	case err == nil:
		return true, ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "gtmd %s: %v\nUsage: gtmd %s %s [flags] (gtmd %s -h for the flags)\n", cmd, err, cmd, spec.args, cmd)
		return true, ExitUsage
	default:
		fmt.Fprintf(env.Stderr, "gtmd %s: %v\n", cmd, err)
		return true, ExitFail
	}
}

// newClient reads the token file, if any, and checks the admin URL.
func newClient(adminURL, tokenFile, version string) (*client.Client, error) {
	var token string
	if tokenFile != "" {
		var err error
		if token, err = client.ReadTokenFile(tokenFile); err != nil {
			return nil, err
		}
	}
	c, err := client.New(client.Options{URL: adminURL, Token: token, UserAgent: "gtmd/" + version})
	var ue *client.URLError
	if errors.As(err, &ue) {
		return nil, usagef("--admin %q: want a URL such as %s", ue.URL, DefaultAdmin)
	}
	return c, err
}

// wantArgs checks the number of positional arguments.
func wantArgs(args []string, lo, hi int, what string) error {
	if len(args) < lo || len(args) > hi {
		return usagef("want %s, got %d argument(s): %s", what, len(args), strings.Join(args, " "))
	}
	return nil
}

// writeJSON prints an answer for -o json as the node encodes it, so that
// scripts read the API's own format.
func (r *run) writeJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the answer as JSON: %w", err)
	}
	_, err = r.stdout.Write(append(b, '\n'))
	return err
}

// write prints a body as it came, ending in a newline.
func (r *run) write(data []byte) error {
	if _, err := r.stdout.Write(data); err != nil {
		return err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		_, err := r.stdout.Write([]byte{'\n'})
		return err
	}
	return nil
}
