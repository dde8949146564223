package main

import "testing"

// TestSetGCPercent: serve collects when the heap has grown by half,
// unless GOGC is set, which it leaves to decide.
func TestSetGCPercent(t *testing.T) {
	cases := []struct {
		gogc string
		want int
	}{
		{"", defaultGCPercent},
		{"200", 0},
		{"off", 0},
	}
	for _, c := range cases {
		got := -1
		set := func(p int) int { got = p; return 100 }
		getenv := func(k string) string {
			if k == "GOGC" {
				return c.gogc
			}
			return ""
		}
		if r := setGCPercent(getenv, set); r != c.want {
			t.Errorf("GOGC=%q: set %d, want %d", c.gogc, r, c.want)
		}
		want := c.want
		if want == 0 {
			want = -1 // not called
		}
		if got != want {
			t.Errorf("GOGC=%q: the runtime was given %d, want %d", c.gogc, got, want)
		}
	}
}
