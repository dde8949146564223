package policy

import (
	"testing"

	"github.com/gtmd/gtmd/geo"
)

func TestGeo(t *testing.T) {
	s := compile(t, "geo", svcOpts{}, regions()...)
	ca := client("198.51.100.7", 32, locCalifornia, "198.51.100.0/22")
	va := client("203.0.113.9", 24, locVirginia, "203.0.113.0/24")
	on := client("192.0.2.200", 32, locCanada, "192.0.2.128/25")
	fr := client("2001:db8:f::1", 56, locFrance, "2001:db8::/32")
	de := client("2001:db8:de::", 48, locGermany, "2001:db8:de::/40")
	jp := client("2001:db8:3::", 56, locJapan, "2001:db8::/36")
	br := client("198.18.0.1", 32, locBrazil, "198.18.0.0/15")
	au := client("203.0.113.77", 32, locAustralia, "203.0.113.64/26")
	gb := client("2001:db8:b::1", 56, locUK, "2001:db8:b::/48")
	// A client whose country no endpoint lists and whose continent is unknown.
	nowhere := client("192.0.2.1", 32, geo.Location{Country: "AQ", Lat: -75.25, Lon: -0.07, HasCoords: true}, "192.0.2.0/24")
	countryOnly := client("192.0.2.1", 32, geo.Location{Country: "IS"}, "192.0.2.0/24")
	run(t, s, []selectCase{
		{name: "subdivision US-CA", c: ca, want: []string{"us-west"}, wantScope: 22, wantRule: "geo: subdivision US-CA"},
		{name: "country US", c: va, want: []string{"us-east"}, wantScope: 24, wantRule: "geo: country US"},
		{name: "country CA", c: on, want: []string{"us-east"}, wantScope: 25, wantRule: "geo: country CA"},
		{name: "country DE", c: de, want: []string{"eu-central"}, wantScope: 40, wantRule: "geo: country DE"},
		{name: "continent EU", c: fr, want: []string{"eu-central"}, wantScope: 32, wantRule: "geo: continent EU"},
		{name: "continent EU for GB", c: gb, want: []string{"eu-central"}, wantScope: 48},
		{name: "country JP", c: jp, want: []string{"ap-northeast"}, wantScope: 36},
		{name: "continent SA", c: br, want: []string{"sa-east"}, wantScope: 15, wantRule: "geo: continent SA"},
		{name: "country AU", c: au, want: []string{"ap-southeast"}, wantScope: 26},
		{name: "default", c: nowhere, want: []string{"us-east"}, wantScope: 24, wantRule: "geo: default"},
		{name: "subdivision down falls to country", down: []string{"us-west"}, c: ca, want: []string{"us-east"}, wantScope: 22, wantRule: "geo: country US"},
		{name: "country down falls to continent", down: []string{"ap-southeast"}, c: au, want: []string{"us-east"}, wantScope: 26, wantRule: "geo: default"},
		{name: "country and default down: nearest", down: []string{"us-east"}, c: on, want: []string{"us-west"}, wantScope: 25, wantRule: "geo: nearest healthy"},
		{name: "continent and default down: nearest", down: []string{"sa-east", "us-east"}, c: br, want: []string{"eu-central"}, wantScope: 15, wantRule: "geo: nearest healthy"},
		{name: "default down, unlisted: nearest", down: []string{"us-east"}, c: nowhere, want: []string{"sa-east"}, wantScope: 24, wantRule: "geo: nearest healthy"},
		{name: "no coordinates: first healthy", down: []string{"us-east"}, c: countryOnly, want: []string{"us-west"}, wantScope: 24, wantRule: "geo: first healthy (no coordinates)"},
		{name: "scope never exceeds known bits", c: client("203.0.113.0", 20, locVirginia, "203.0.113.0/24"), want: []string{"us-east"}, wantScope: 20},
	})

	// Continent match when the country is not listed: Japan's continent AS
	// with ap-northeast's country list emptied.
	asia := compile(t, "geo", svcOpts{},
		ep("eu", at(atFrankfurt), continents("EU"), isDefault),
		ep("asia", at(atTokyo), continents("AS")),
		ep("oceania", at(atSydney), continents("OC")),
	)
	run(t, asia, []selectCase{
		{name: "continent AS", c: jp, want: []string{"asia"}, wantScope: 36, wantRule: "geo: continent AS"},
		{name: "continent down, default", down: []string{"asia"}, c: jp, want: []string{"eu"}, wantScope: 36, wantRule: "geo: default"},
		{name: "continent and default down, nearest", down: []string{"asia", "eu"}, c: jp, want: []string{"oceania"}, wantScope: 36, wantRule: "geo: nearest healthy"},
	})

	// Several endpoints listing one country answer together up to max_answers.
	multi := compile(t, "geo", svcOpts{maxAnswers: 2},
		ep("us-1", countries("US")), ep("us-2", countries("US")), ep("us-3", countries("US")), ep("rest", isDefault))
	run(t, multi, []selectCase{
		{name: "two of three", c: va, want: []string{"us-1", "us-2"}, wantScope: 24},
		{name: "skips unhealthy", down: []string{"us-1"}, c: va, want: []string{"us-2", "us-3"}, wantScope: 24},
		// Endpoints without location (all of them here): first healthy in order.
		{name: "level down, default", down: []string{"us-1", "us-2", "us-3"}, c: va, want: []string{"rest"}, wantScope: 24},
		{name: "everything local down, nearest without locations", down: []string{"us-1", "us-2", "rest"}, c: va, want: []string{"us-3"}, wantScope: 24},
	})
}

func TestGeoNoLocation(t *testing.T) {
	noGeo := &Client{Addr: mustAddr("198.51.100.7"), Bits: 32} // no GeoIP database
	unknown := &Client{Addr: mustAddr("198.51.100.7"), Bits: 24}
	unknown.Loc.Network = mustPrefix("198.51.100.0/22") // database holds no data for this range

	s := compile(t, "geo", svcOpts{}, regions()...)
	run(t, s, []selectCase{
		{name: "default", c: noGeo, want: []string{"us-east"}, wantRule: "geo: default (no location)"},
		{name: "default, scope of the empty range", c: unknown, want: []string{"us-east"}, wantScope: 22},
		{name: "default down: first healthy", down: []string{"us-east"}, c: noGeo, want: []string{"us-west"}, wantRule: "geo: first healthy (no location)"},
	})
	var tr Trace
	s.Select(up(6), noGeo, nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepClient, "no GeoIP location") || !hasStep(&tr, StepFallback, "no GeoIP location: taking the default endpoint us-east") {
		t.Errorf("trace does not say there is no location:\n%s", dumpTrace(&tr))
	}
	tr = Trace{}
	s.Select(up(6, 0), noGeo, nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepFallback, "no GeoIP location and the default endpoint us-east is unhealthy: taking the first healthy endpoint") {
		t.Errorf("trace does not say the default is down:\n%s", dumpTrace(&tr))
	}

	noDefault := compile(t, "geo", svcOpts{}, ep("a", countries("US")), ep("b", countries("DE")))
	run(t, noDefault, []selectCase{
		{name: "no default: first healthy", c: noGeo, want: []string{"a"}, wantRule: "geo: first healthy (no location)"},
		{name: "no default, first down", down: []string{"a"}, c: noGeo, want: []string{"b"}},
	})
	tr = Trace{}
	noDefault.Select(nil, noGeo, nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepFallback, "no GeoIP location and no default endpoint: taking the first healthy endpoint") {
		t.Errorf("trace:\n%s", dumpTrace(&tr))
	}
}

// TestGeoNearestUnlocated checks the geo policy's nearest fallback: an
// endpoint without a location ranks after every located one. (Latency and
// geoproximity endpoints all have locations: config validation sees to it.)
func TestGeoNearestUnlocated(t *testing.T) {
	br := client("198.19.0.1", 32, locBrazil, "198.19.0.0/17")
	s := compile(t, "geo", svcOpts{maxAnswers: 2},
		ep("somewhere", countries("US")), ep("tokyo", at(atTokyo), countries("JP")), ep("frankfurt", at(atFrankfurt), countries("DE")))
	run(t, s, []selectCase{
		{name: "located first", c: br, want: []string{"frankfurt", "tokyo"}, wantScope: 17, wantRule: "geo: nearest healthy"},
		{name: "unlocated fills in", down: []string{"frankfurt"}, c: br, want: []string{"tokyo", "somewhere"}, wantScope: 17},
	})
}
