package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestDuplicateKeysSmallAndLarge holds both ways of finding a repeated
// key (a scan for small mappings, a map for large ones) to the same
// fault, at the same line.
func TestDuplicateKeysSmallAndLarge(t *testing.T) {
	type doc struct {
		M map[string]int `yaml:"m"`
	}
	for _, keys := range []int{2, 15, 16, 17, 40} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("m:\n")
			for i := range keys {
				fmt.Fprintf(&b, "  k%d: %d\n", i, i)
			}
			// The repeat of k1 (line 3) is on line keys+2.
			b.WriteString("  k1: 9\n")
			var out doc
			_, faults, ok := decodeDocument("f.yaml", []byte(b.String()), &out)
			if ok {
				t.Fatal("a document with a key set twice decoded as one")
			}
			if len(faults) != 1 || faults[0].Field != "m.k1" || faults[0].Line != keys+2 || !strings.Contains(faults[0].Message, "first at line 3") {
				t.Fatalf("faults = %+v, want one for m.k1 at line %d, first at line 3", faults, keys+2)
			}
		})
	}
}
