package geo

import (
	"slices"
	"strings"
)

// countryFact is one row of countryTable.
type countryFact struct {
	code      string // ISO 3166-1 alpha-2, upper case
	continent string // AF AN AS EU NA OC SA
	lat, lon  float64
}

// lookupCountry returns the row of countryTable for an upper-case code.
func lookupCountry(code string) (*countryFact, bool) {
	i, ok := slices.BinarySearchFunc(countryTable[:], code, func(f countryFact, code string) int {
		return strings.Compare(f.code, code)
	})
	if !ok {
		return nil, false
	}
	return &countryTable[i], true
}

// CountryFacts returns the continent code and approximate centroid (degrees)
// of an ISO 3166-1 alpha-2 country code in upper case ("US"), and whether the
// code is known. Every assigned ISO 3166-1 code is known, and XK (Kosovo).
func CountryFacts(code string) (continent string, lat, lon float64, ok bool) {
	f, ok := lookupCountry(code)
	if !ok {
		return "", 0, 0, false
	}
	return f.continent, f.lat, f.lon, true
}

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 country code in
// upper case that CountryFacts knows.
func ValidCountry(code string) bool {
	_, ok := lookupCountry(code)
	return ok
}

// ValidContinent reports whether code is one of the seven continent codes
// GeoIP2 uses: AF AN AS EU NA OC SA (upper case).
func ValidContinent(code string) bool {
	switch code {
	case "AF", "AN", "AS", "EU", "NA", "OC", "SA":
		return true
	}
	return false
}
