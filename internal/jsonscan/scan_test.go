package jsonscan

import (
	"encoding/json"
	"testing"
)

var stringSeeds = []string{
	"", "A", "plain.example.com.", `"v=spf1 -all"`, `0 issue "ca.example"`, `back\slash`,
	"tab\tnew\nline\rcr\bback\ffeed\x00\x1f\x7f", "<&>", "é", "\u2028", "\xff\xfe", "\ud7ff",
}

// FuzzString: a string is written byte for byte as encoding/json writes
// it, and read back as it reads it.
func FuzzString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		want, _ := json.Marshal(v)
		got := AppendString(nil, v)
		if string(got) != string(want) {
			t.Fatalf("%q written %s, encoding/json writes %s", v, got, want)
		}
		var back string
		json.Unmarshal(want, &back)
		read, ok := New(got).Str()
		if !ok || read != back {
			t.Fatalf("%s read as %q (%v), encoding/json reads %q", got, read, ok, back)
		}
	})
}

// FuzzStr: any JSON string the scanner reads, it reads as encoding/json
// does.
func FuzzStr(f *testing.F) {
	for _, s := range []string{`"a"`, `"\"q\" \\ \/ \b\f\n\r\t"`, `"\u0041\ud800"`, `"\x"`, `"a`, "\"\xff\"", `"é"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New(b)
		got, ok := s.Str()
		if !ok || !s.End() {
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil || got != want {
			t.Fatalf("%q read as %q, encoding/json reads %q (%v)", b, got, want, err)
		}
	})
}
