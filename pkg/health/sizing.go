package health

import (
	"math"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

const (
	// DefaultMaxConcurrent is the ceiling on probes in flight when
	// Options.MaxConcurrent is not set, the node file's default.
	DefaultMaxConcurrent = config.DefaultMaxConcurrentProbes
	// MinProbeSlots is the fewest probes a Scheduler lets run at once
	// (the ceiling permitting), so a handful of checks never queue.
	MinProbeSlots = 16
	// probeSlotFactor is the headroom over the probes a steady schedule
	// keeps in flight at worst: checks are spread over their interval at
	// random, not evenly, so some moments see more than the average.
	probeSlotFactor = 2
)

// ProbeSlots sizes the semaphore of probes in flight for checks. busy is
// how many probes are in flight on average when every target hangs until
// its timeout: the sum over the probed checks of timeout/interval. With
// slots = probeSlotFactor × busy a slow target never delays another
// check's probe; slots is kept within [MinProbeSlots, ceiling] (a ceiling
// of 0 or less is DefaultMaxConcurrent). When busy exceeds the ceiling,
// hanging targets make other checks' probes late.
func ProbeSlots(checks []config.Check, ceiling int) (slots int, busy float64) {
	if ceiling <= 0 {
		ceiling = DefaultMaxConcurrent
	}
	for _, c := range checks {
		if !Probed(c.Type) {
			continue
		}
		iv, timeout := interval(c), probeTimeout(c)
		busy += float64(timeout) / float64(iv)
	}
	need := math.Ceil(busy * probeSlotFactor)
	if need >= float64(ceiling) {
		return ceiling, busy
	}
	return min(max(int(need), MinProbeSlots), ceiling), busy
}

// probeTimeout is how long one probe of c may take: its timeout, never
// more than its interval (the interval when the timeout is not set), so a
// check has at most one probe in flight and keeps its schedule.
func probeTimeout(c config.Check) time.Duration {
	iv, timeout := interval(c), c.Timeout.Std()
	if timeout <= 0 || timeout > iv {
		return iv
	}
	return timeout
}

// resize fits the semaphore to the probed checks Apply was given, and
// warns once when even the ceiling leaves hanging targets able to make
// other checks late. Called with s.mu held.
func (s *Scheduler) resize(probed []config.Check) {
	n, busy := ProbeSlots(probed, s.ceiling)
	s.slots.resize(n)
	s.metrics.slots.Set(float64(n))
	short := busy > float64(s.ceiling)
	if short && !s.short {
		s.log.Warn("health checks may fall behind their interval when targets hang: raise health.max_concurrent_probes or lengthen intervals",
			"max_concurrent_probes", s.ceiling, "probes_in_flight_if_all_hang", int(math.Ceil(busy)), "checks", len(probed))
	}
	s.short = short
}
