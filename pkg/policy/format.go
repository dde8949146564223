package policy

import "strconv"

// Formatting helpers for traces; never called on the hot path.

func itoa(n int) string { return strconv.Itoa(n) }

func fmtCoords(lat, lon float64) string {
	return strconv.FormatFloat(lat, 'f', 2, 64) + "," + strconv.FormatFloat(lon, 'f', 2, 64)
}

func fmtKm(d float64) string { return strconv.FormatFloat(d, 'f', 0, 64) + " km" }
