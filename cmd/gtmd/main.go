// Command gtmd is gtmd's one binary: `gtmd serve` runs a node, and the
// other subcommands operate a running cluster or check documents offline.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
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
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, stderr)
	case "validate":
		err = validate(rest, stdout)
	case "version":
		fmt.Fprintf(stdout, "gtmd %s\n", version)
	case "help", "-h", "--help":
		usage(stdout)
	default:
		if handled, code := runCLI(ctx, cmd, rest, stdout, stderr); handled {
			return code
		}
		fmt.Fprintf(stderr, "gtmd: unknown command %q\n\n", cmd)
		usage(stderr)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "gtmd %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: gtmd COMMAND [flags]

Commands:
  serve      run a node: gtmd serve --config gtmd.yaml
  validate   check a traffic document offline: gtmd validate -f traffic.yaml
  version    print the version
`+cliUsage+`
Run 'gtmd COMMAND -h' for a command's flags.
`)
}
