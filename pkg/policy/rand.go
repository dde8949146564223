package policy

// Rand is the random source the weighted and multivalue policies draw from.
// *math/rand/v2.Rand satisfies it. Select calls it from the caller's
// goroutine only, so whether it must be safe for concurrent use is the
// caller's choice (one source per goroutine, or a locked one).
type Rand interface {
	// IntN returns a number in [0, n); n is always > 0.
	IntN(n int) int
}

// draw returns r.IntN(n), treating a nil r as one that always returns 0
// (deterministic, for explain and tests) and clamping an out-of-range
// result so that a faulty source can never index out of bounds.
func draw(r Rand, n int) int {
	if r == nil || n <= 1 {
		return 0
	}
	v := r.IntN(n)
	if v < 0 || v >= n {
		return 0
	}
	return v
}
