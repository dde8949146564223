package flagx

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  string
		o    string
	}{
		{[]string{"a", "-o", "json", "b"}, "a b", "json"},
		{[]string{"-o", "json", "a", "b"}, "a b", "json"},
		{[]string{"a", "b", "-o=json"}, "a b", "json"},
		{[]string{"a", "--", "-o", "json"}, "a -o json", "table"},
		{[]string{"--", "a"}, "a", "table"},
		{nil, "", "table"},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		o := fs.String("o", "table", "")
		pos, err := Parse(fs, tc.args)
		if err != nil || strings.Join(pos, " ") != tc.pos || *o != tc.o {
			t.Errorf("%q: %q %q %v", tc.args, pos, *o, err)
		}
	}
}

func TestParseNoArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-f", "x", "-v"}, ""},
		{[]string{"-v", "-f", "x"}, ""},
		{[]string{"-f", "x", "stray"}, "unexpected arguments: stray"},
		{[]string{"a", "-v", "b"}, "unexpected arguments: a b"},
		{[]string{"--", "-v"}, "unexpected arguments: -v"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.String("f", "", "")
		fs.Bool("v", false, "")
		err := ParseNoArgs(fs, tc.args)
		if got := errString(err); got != tc.err {
			t.Errorf("%q: error %q, want %q", tc.args, got, tc.err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestList(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  string
		given bool
	}{
		{nil, "default", false},
		{[]string{"-l", "a"}, "a", true},
		{[]string{"-l", "a, b", "-l", "c"}, "a,b,c", true},
		{[]string{"-l", ""}, "", true},
	} {
		l := List{Values: []string{"default"}}
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.Var(&l, "l", "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if l.String() != tc.want || l.Given != tc.given {
			t.Errorf("%q: %q given=%v, want %q given=%v", tc.args, l.String(), l.Given, tc.want, tc.given)
		}
	}
}
