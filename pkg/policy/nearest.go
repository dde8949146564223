package policy

import (
	"math"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
)

// ranked holds the cheapest candidates seen so far, cheapest first, on the
// stack: at most MaxAnswers, which Compile bounds by
// config.MaxMultivalueAnswers. Equal costs keep config order.
type ranked struct {
	n    int
	idx  [config.MaxMultivalueAnswers]int
	cost [config.MaxMultivalueAnswers]float64
}

// offer considers endpoint i at cost, keeping the m cheapest.
func (r *ranked) offer(i int, cost float64, m int) {
	if r.n == m && !(cost < r.cost[r.n-1]) {
		return
	}
	j := r.n
	if j == m {
		j--
	} else {
		r.n++
	}
	for ; j > 0 && cost < r.cost[j-1]; j-- {
		r.idx[j], r.cost[j] = r.idx[j-1], r.cost[j-1]
	}
	r.idx[j], r.cost[j] = i, cost
}

// point is a place on Earth as a unit vector, so that ranking endpoints by
// great-circle distance needs no trigonometry per endpoint: the chord
// between two points grows with the arc between them.
type point struct{ x, y, z float64 }

func toPoint(lat, lon float64) point {
	const rad = math.Pi / 180
	sinLat, cosLat := math.Sincos(lat * rad)
	sinLon, cosLon := math.Sincos(lon * rad)
	return point{cosLat * cosLon, cosLat * sinLon, sinLat}
}

// chord2 is the squared chord between a and b, a cost in the same order as
// their great-circle distance (and precise for nearby points).
func chord2(a, b point) float64 {
	dx, dy, dz := a.x-b.x, a.y-b.y, a.z-b.z
	return dx*dx + dy*dy + dz*dz
}

// arc is the central angle in radians of a squared chord: great-circle
// distance over the Earth's radius.
func arc(c2 float64) float64 { return 2 * math.Asin(min(1, math.Sqrt(c2)/2)) }

// nearest appends the healthy endpoints with the least great-circle
// distance from the client, up to MaxAnswers; with biased, distance is
// scaled by each endpoint's 1 - bias/100 (geoproximity). Endpoints without a
// location come after those with one, in config order; equal distances keep
// config order. It reports false, appending nothing, when the client has no
// coordinates. The trace gives each distance as geo.DistanceKm computes it.
func (s *Service) nearest(h health, c *Client, biased bool, out []int, t *Trace) ([]int, bool) {
	if !c.HasLoc || !c.Loc.HasCoords {
		return out, false
	}
	from := toPoint(c.Loc.Lat, c.Loc.Lon)
	var best ranked
	for i := range s.eps {
		e := &s.eps[i]
		ok := h.ok(i)
		cost := math.Inf(1)
		if e.hasLoc {
			cost = chord2(from, e.point)
			if biased {
				cost = arc(cost) * e.biasFactor
			}
			if t != nil {
				traceDistance(t, e, ok, biased, geo.DistanceKm(c.Loc.Lat, c.Loc.Lon, e.lat, e.lon))
			}
		} else if t != nil {
			t.addf(StepCandidate, e.id, "%s, no location: ranked after every endpoint with one", healthWord(ok))
		}
		if ok {
			best.offer(i, cost, s.maxAnswers)
		}
	}
	for k := range best.n {
		out = append(out, best.idx[k])
	}
	return out, true
}

func traceDistance(t *Trace, e *endpoint, ok, biased bool, d float64) {
	if biased {
		t.addf(StepCandidate, e.id, "%s, %s away, bias %d: biased distance %s", healthWord(ok), fmtKm(d), e.bias, fmtKm(d*e.biasFactor))
		return
	}
	t.addf(StepCandidate, e.id, "%s, %s away", healthWord(ok), fmtKm(d))
}
