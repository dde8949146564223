package health

import (
	"strings"
	"testing"
	"time"
)

// TestWakeTime: a due time is rounded up to its check's step, the step
// is at most a tenth of the interval, and the wake time keeps the due
// time's monotonic clock reading, without which a step of the wall clock
// would stall probes or release a burst of them.
func TestWakeTime(t *testing.T) {
	s := &Scheduler{coalesce: 10 * time.Millisecond}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		due      time.Duration // after base, which is on every step's edge
		interval time.Duration
		want     time.Duration
	}{
		{"inside a step", 3 * time.Millisecond, time.Second, 10 * time.Millisecond},
		{"on an edge", 20 * time.Millisecond, time.Second, 20 * time.Millisecond},
		{"just past an edge", 20*time.Millisecond + 1, time.Second, 30 * time.Millisecond},
		{"step cut to a tenth of a short interval", 3 * time.Millisecond, 50 * time.Millisecond, 5 * time.Millisecond},
		{"interval too short for any step", 3 * time.Millisecond, 9 * time.Nanosecond, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.wakeTime(base.Add(tt.due), tt.interval).Sub(base); got != tt.want {
				t.Errorf("wake at %v, want %v", got, tt.want)
			}
		})
	}
	due := time.Now().Add(3 * time.Millisecond)
	if wake := s.wakeTime(due, time.Second); !strings.Contains(wake.String(), "m=") {
		t.Errorf("wake time %v has no monotonic clock reading", wake)
	}
}
