package health_test

import (
	"testing"

	"github.com/gtmd/gtmd/pkg/health"
)

func TestCalculatedStatus(t *testing.T) {
	const U, D, X = health.Up, health.Down, health.Unknown
	tests := []struct {
		name     string
		children []health.Status
		min      int
		want     health.Status
		reason   string
	}{
		{"all unknown", []health.Status{X, X, X}, 2, X, "3 of 3 children healthy, need 2 (3 unknown)"},
		{"enough up", []health.Status{U, U, D}, 2, U, "2 of 3 children healthy, need 2; down: c2"},
		{"all up", []health.Status{U, U, U}, 3, U, "3 of 3 children healthy, need 3"},
		{"too few", []health.Status{U, D, D}, 2, D, "1 of 3 children healthy, need 2; down: c1, c2"},
		{"unknown makes up the count", []health.Status{U, X, D}, 2, X, "2 of 3 children healthy, need 2 (1 unknown); down: c2"},
		{"down even with unknown", []health.Status{X, D, D}, 2, D, "1 of 3 children healthy, need 2 (1 unknown); down: c1, c2"},
		{"one of one", []health.Status{U}, 1, U, "1 of 1 children healthy, need 1"},
		{"none of one", []health.Status{D}, 1, D, "0 of 1 children healthy, need 1; down: c0"},
	}
	for _, tt := range tests {
		names := make([]string, len(tt.children))
		byName := map[string]health.Status{}
		for i, s := range tt.children {
			names[i] = "c" + string(rune('0'+i))
			byName[names[i]] = s
		}
		got, reason := health.CalculatedStatus(names, tt.min, func(c string) health.Status { return byName[c] })
		if got != tt.want || reason != tt.reason {
			t.Errorf("%s: %v %q, want %v %q", tt.name, got, reason, tt.want, tt.reason)
		}
	}
}
