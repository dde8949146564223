// Command gtmd is gtmd's one binary: `gtmd serve` runs a node, and the
// other subcommands (package internal/cli) operate a running cluster or
// check documents offline.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Imported under another name: the tests here have a helper cli.
	operator "github.com/gtmd/gtmd/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		// After the first signal the node shuts down gracefully; a second
		// one kills it at once.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		if err := serve(ctx, rest, stderr); err != nil {
			fmt.Fprintf(stderr, "gtmd %s: %v\n", cmd, err)
			return 1
		}
		return 0
	case "version":
		fmt.Fprintf(stdout, "gtmd %s\n", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	env := operator.Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Version: version}
	if handled, code := operator.Run(ctx, env, cmd, rest); handled {
		return code
	}
	fmt.Fprintf(stderr, "gtmd: unknown command %q\n\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: gtmd COMMAND [flags]

Commands:
  serve      run a node: gtmd serve --config gtmd.yaml
  version    print the version
`+operator.Usage+`
Run 'gtmd COMMAND -h' for a command's flags.
`)
}
