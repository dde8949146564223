package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestNearestAgreesWithDistanceKm checks that ranking by chord picks what
// ranking by geo.DistanceKm (biased or not) picks, on random places
// including close and antipodal ones.
func TestNearestAgreesWithDistanceKm(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	randLL := func() (float64, float64) { return r.Float64()*180 - 90, r.Float64()*360 - 180 }
	for round := range 2000 {
		n := 2 + r.IntN(6)
		eps := make([]config.Endpoint, n)
		for i := range eps {
			lat, lon := randLL()
			eps[i] = ep(fmt.Sprint("e", i), at(&config.LatLon{Lat: lat, Lon: lon}), bias(r.IntN(199)-99))
		}
		lat, lon := randLL()
		switch round % 4 {
		case 1: // close to an endpoint
			lat, lon = eps[0].Location.Lat+r.Float64()*0.01, eps[0].Location.Lon+r.Float64()*0.01
		case 2: // near the antipode of one
			lat, lon = -eps[0].Location.Lat+r.Float64()*0.01, eps[0].Location.Lon-180*math.Copysign(1, eps[0].Location.Lon)
		}
		c := &Client{HasLoc: true, Loc: geo.Location{Lat: lat, Lon: lon, HasCoords: true}}
		for _, policy := range []string{"latency", "geoproximity"} {
			s := compile(t, policy, svcOpts{}, eps...)
			got, _ := s.Select(nil, c, nil, make([]int, 0, 8), nil)
			cost := func(i int) float64 {
				d := geo.DistanceKm(lat, lon, eps[i].Location.Lat, eps[i].Location.Lon)
				if policy == "geoproximity" {
					d *= 1 - float64(eps[i].Bias)/100
				}
				return d
			}
			best := 0
			for i := range eps {
				if cost(i) < cost(best) {
					best = i
				}
			}
			if got[0] != best && math.Abs(cost(got[0])-cost(best)) > 1e-6 {
				t.Fatalf("%s from %.4f,%.4f: got %d (%.3f km), DistanceKm ranks %d first (%.3f km)", policy, lat, lon, got[0], cost(got[0]), best, cost(best))
			}
		}
	}
}
