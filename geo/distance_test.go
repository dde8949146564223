package geo

import (
	"math"
	"testing"
)

func TestDistanceKm(t *testing.T) {
	cases := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want                   float64 // km
	}{
		{"New York–London", 40.7128, -74.0060, 51.5074, -0.1278, 5570},
		{"London–Paris", 51.5074, -0.1278, 48.8566, 2.3522, 344},
		{"Sydney–Tokyo", -33.8688, 151.2093, 35.6895, 139.6917, 7826},
		{"Ashburn–Frankfurt", 39.0438, -77.4874, 50.1109, 8.6821, 6550},
		{"across the antimeridian", 0, 179.5, 0, -179.5, 111.2},
		{"pole to pole", 90, 0, -90, 0, math.Pi * EarthRadiusKm},
		{"antipodes", 10, 20, -10, -160, math.Pi * EarthRadiusKm},
	}
	for _, tc := range cases {
		got := DistanceKm(tc.lat1, tc.lon1, tc.lat2, tc.lon2)
		if math.Abs(got-tc.want) > tc.want*0.01 {
			t.Errorf("%s: DistanceKm = %.1f km, want %.0f ±1%%", tc.name, got, tc.want)
		}
		if back := DistanceKm(tc.lat2, tc.lon2, tc.lat1, tc.lon1); math.Abs(back-got) > 1e-6 {
			t.Errorf("%s: not symmetric: %v and %v", tc.name, got, back)
		}
	}
	if got := DistanceKm(37.3394, -121.895, 37.3394, -121.895); got != 0 {
		t.Errorf("DistanceKm of a point to itself = %v, want 0", got)
	}
}
