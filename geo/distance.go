package geo

import "math"

// EarthRadiusKm is the mean radius of the Earth (IUGG), in kilometres.
const EarthRadiusKm = 6371.0088

// DistanceKm returns the great-circle distance in kilometres between two
// points given in degrees, by the haversine formula on a sphere of
// EarthRadiusKm.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	sinLat := math.Sin((lat2 - lat1) * rad / 2)
	sinLon := math.Sin((lon2 - lon1) * rad / 2)
	h := sinLat*sinLat + math.Cos(lat1*rad)*math.Cos(lat2*rad)*sinLon*sinLon
	if h > 1 { // rounding near antipodes
		h = 1
	}
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(h))
}
