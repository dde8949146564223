package geo

import "testing"

func TestCountryFacts(t *testing.T) {
	cases := []struct {
		code, continent string
		lat, lon        float64
	}{
		{"US", "NA", 39.8, -98.6},
		{"DE", "EU", 51.0, 9.0},
		{"JP", "AS", 36.0, 138.0},
		{"BR", "SA", -10.0, -55.0},
		{"AU", "OC", -25.0, 134.0},
		{"ZA", "AF", -29.0, 24.0},
		{"AQ", "AN", -75.0, 0.0},
		{"GB", "EU", 54.0, -2.0},
		{"RU", "EU", 60.0, 100.0},
		{"TR", "AS", 39.0, 35.0},
		{"XK", "EU", 42.6, 20.9},
	}
	for _, tc := range cases {
		continent, lat, lon, ok := CountryFacts(tc.code)
		if !ok || continent != tc.continent || lat != tc.lat || lon != tc.lon {
			t.Errorf("CountryFacts(%q) = %q, %v, %v, %v; want %q, %v, %v, true",
				tc.code, continent, lat, lon, ok, tc.continent, tc.lat, tc.lon)
		}
		if !ValidCountry(tc.code) {
			t.Errorf("ValidCountry(%q) = false", tc.code)
		}
	}
	for _, code := range []string{"", "U", "us", "Us", "USA", "ZZ", "EU", "UK", "AA", "US-CA"} {
		if _, _, _, ok := CountryFacts(code); ok {
			t.Errorf("CountryFacts(%q) ok, want unknown", code)
		}
		if ValidCountry(code) {
			t.Errorf("ValidCountry(%q) = true", code)
		}
	}
}

func TestCountryTable(t *testing.T) {
	// 249 ISO 3166-1 alpha-2 codes, plus XK.
	if got := len(countryTable); got != 250 {
		t.Errorf("countryTable has %d countries, want 250", got)
	}
	for i, f := range countryTable {
		if len(f.code) != 2 || f.code[0] < 'A' || f.code[0] > 'Z' || f.code[1] < 'A' || f.code[1] > 'Z' {
			t.Errorf("row %d: bad code %q", i, f.code)
		}
		if i > 0 && countryTable[i-1].code >= f.code {
			t.Errorf("row %d: %q not after %q: the table must be sorted and unique", i, f.code, countryTable[i-1].code)
		}
		if !ValidContinent(f.continent) {
			t.Errorf("%s: bad continent %q", f.code, f.continent)
		}
		if f.lat < -90 || f.lat > 90 || f.lon < -180 || f.lon > 180 {
			t.Errorf("%s: centroid %v,%v out of range", f.code, f.lat, f.lon)
		}
		if c, _, _, ok := CountryFacts(f.code); !ok || c != f.continent {
			t.Errorf("CountryFacts(%q) does not find its row", f.code)
		}
	}
}

func TestValidContinent(t *testing.T) {
	for _, c := range []string{"AF", "AN", "AS", "EU", "NA", "OC", "SA"} {
		if !ValidContinent(c) {
			t.Errorf("ValidContinent(%q) = false", c)
		}
	}
	for _, c := range []string{"", "eu", "Eu", "AM", "ME", "EUR", "US"} {
		if ValidContinent(c) {
			t.Errorf("ValidContinent(%q) = true", c)
		}
	}
}
