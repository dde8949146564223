package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	operator "github.com/gtmd/gtmd/internal/cli"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

// The operator subcommands are tested in internal/cli; these helpers run
// them through run, as the binary does, for the tests here that need a
// real node behind them.

const envAdmin = operator.EnvAdmin

// cliResult is what one run printed and returned.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cli runs gtmd with args, with env as the operator subcommands'
// environment.
func cli(t *testing.T, env map[string]string, args ...string) cliResult {
	t.Helper()
	t.Setenv(operator.EnvAdmin, "")
	t.Setenv(operator.EnvTokenFile, "")
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, &out, &errOut)
	return cliResult{code, out.String(), errOut.String()}
}

func (r cliResult) want(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, stdout) {
		t.Errorf("stdout lacks %q:\n%s", stdout, r.stdout)
	}
	if !strings.Contains(r.stderr, stderr) {
		t.Errorf("stderr lacks %q:\n%s", stderr, r.stderr)
	}
	if stderr == "" && r.stderr != "" {
		t.Errorf("stderr: %s", r.stderr)
	}
}

// validate runs gtmd validate and returns its fault as an error.
func validate(args []string, stdout io.Writer) error {
	var errOut bytes.Buffer
	if run(context.Background(), append([]string{"validate"}, args...), stdout, &errOut) != 0 {
		return errors.New(strings.TrimSuffix(strings.TrimPrefix(errOut.String(), "gtmd validate: "), "\n"))
	}
	return nil
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIDispatch checks that run hands the operator subcommands their
// arguments and the process environment, and refuses what is no command.
func TestCLIDispatch(t *testing.T) {
	srv := admintest.NewServer(t, admintest.New("n1", nil), admin.Options{})
	cli(t, map[string]string{envAdmin: srv.URL}, "members", "-o", "json").want(t, 0, `"id": "n1"`, "")
	cli(t, nil, "bogus").want(t, 2, "", "gtmd: unknown command \"bogus\"\n\nUsage: gtmd COMMAND")
	r := cli(t, nil, "help")
	r.want(t, 0, "  serve ", "")
	for _, c := range []string{"validate", "apply", "explain"} {
		if !strings.Contains(r.stdout, "\n  "+c+" ") {
			t.Errorf("help lacks %s:\n%s", c, r.stdout)
		}
	}
}
