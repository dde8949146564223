package testdb

import (
	"path/filepath"
	"testing"
)

func TestNetworksTable(t *testing.T) {
	nets := Networks()
	seen := map[string]bool{}
	for i, n := range nets {
		if n.Name == "" || seen[n.Name] {
			t.Errorf("network %d: empty or duplicate name %q", i, n.Name)
		}
		seen[n.Name] = true
		if !n.Prefix.IsValid() || n.Prefix != n.Prefix.Masked() {
			t.Errorf("%s: prefix %s is not a masked network", n.Name, n.Prefix)
		}
		if !n.Prefix.Contains(n.Addr()) {
			t.Errorf("%s: Addr %s outside %s", n.Name, n.Addr(), n.Prefix)
		}
		if n.Country != "" && countryName(n.Country) == n.Country {
			t.Errorf("%s: no English name for country %s", n.Name, n.Country)
		}
		for _, m := range nets[:i] {
			if n.Prefix.Overlaps(m.Prefix) {
				t.Errorf("%s (%s) overlaps %s (%s)", n.Name, n.Prefix, m.Name, m.Prefix)
			}
		}
		if got, ok := ByName(n.Name); !ok || got != n {
			t.Errorf("ByName(%q) = %+v, %v", n.Name, got, ok)
		}
	}
	if _, ok := ByName("nowhere"); ok {
		t.Error(`ByName("nowhere") found a network`)
	}
	jp, _ := ByName("jp")
	if !jp.Prefix.Contains(TokyoIXPrefix.Addr()) || jp.Prefix.Contains(jp.Addr()) && TokyoIXPrefix.Contains(jp.Addr()) {
		t.Errorf("TokyoIXPrefix %s must sit inside jp %s and not hold jp.Addr()", TokyoIXPrefix, jp.Prefix)
	}
	for _, n := range nets {
		if n.Prefix.Contains(Unknown) {
			t.Errorf("Unknown %s is inside %s", Unknown, n.Name)
		}
	}
}

func TestWriteUnknownSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.mmdb")
	err := Write(path, Schema(42), Options{DatabaseType: "X"})
	if err == nil || err.Error() != `testdb: write "`+path+`": unknown schema 42` {
		t.Errorf("Write with an unknown schema: %v", err)
	}
}
