package policy

import (
	"testing"

	"github.com/gtmd/gtmd/geo"
)

func TestLatency(t *testing.T) {
	va := client("198.51.100.7", 32, locVirginia, "198.51.100.0/24")
	ca := client("2001:db8:ca::", 56, locCalifornia, "2001:db8:ca::/48")
	de := client("203.0.113.0", 24, locGermany, "203.0.113.0/22")
	fr := client("2001:db8:f::", 56, locFrance, "2001:db8::/32")
	gb := client("192.0.2.10", 32, locUK, "192.0.2.0/24")
	jp := client("198.18.5.5", 32, locJapan, "198.18.0.0/16")
	br := client("198.19.0.1", 32, locBrazil, "198.19.0.0/17")
	au := client("2001:db8:a0::", 56, locAustralia, "2001:db8:a0::/44")
	on := client("192.0.2.130", 32, locCanada, "192.0.2.128/26")

	s := compile(t, "latency", svcOpts{}, regions()...)
	run(t, s, []selectCase{
		{name: "Virginia", c: va, want: []string{"us-east"}, wantScope: 24, wantRule: "latency: nearest"},
		{name: "California v6", c: ca, want: []string{"us-west"}, wantScope: 48},
		{name: "Canada", c: on, want: []string{"us-east"}, wantScope: 26},
		{name: "Germany", c: de, want: []string{"eu-central"}, wantScope: 22},
		{name: "France v6", c: fr, want: []string{"eu-central"}, wantScope: 32},
		{name: "UK", c: gb, want: []string{"eu-central"}, wantScope: 24},
		{name: "Japan", c: jp, want: []string{"ap-northeast"}, wantScope: 16},
		{name: "Brazil", c: br, want: []string{"sa-east"}, wantScope: 17},
		{name: "Australia v6", c: au, want: []string{"ap-southeast"}, wantScope: 44},
		{name: "nearest down", down: []string{"eu-central"}, c: de, want: []string{"us-east"}, wantScope: 22},
		{name: "two nearest down", down: []string{"ap-southeast", "ap-northeast"}, c: au, want: []string{"us-west"}, wantScope: 44},
		{name: "scope capped at known bits", c: client("203.0.113.0", 24, locGermany, "203.0.112.0/20"), want: []string{"eu-central"}, wantScope: 20},
		{name: "database network longer than known bits", c: client("203.0.113.0", 24, locGermany, "203.0.113.0/28"), want: []string{"eu-central"}, wantScope: 24},
	})

	two := compile(t, "latency", svcOpts{maxAnswers: 2}, regions()...)
	run(t, two, []selectCase{
		{name: "two nearest, nearest first", c: va, want: []string{"us-east", "us-west"}, wantScope: 24},
		{name: "two nearest from Germany", c: de, want: []string{"eu-central", "us-east"}, wantScope: 22},
		{name: "two nearest from Japan", c: jp, want: []string{"ap-northeast", "ap-southeast"}, wantScope: 16},
		{name: "skips unhealthy", down: []string{"us-east"}, c: va, want: []string{"us-west", "eu-central"}, wantScope: 24},
	})

}

func TestLatencyNoLocation(t *testing.T) {
	s := compile(t, "latency", svcOpts{}, regions()...)
	noGeo := &Client{Addr: mustAddr("2001:db8::1"), Bits: 128}
	noCoords := client("192.0.2.1", 32, geo.Location{Country: "FR", Continent: "EU"}, "192.0.2.0/24")
	run(t, s, []selectCase{
		{name: "no location: first", c: noGeo, want: []string{"us-east"}, wantRule: "latency: first healthy (no location)"},
		{name: "no location: first healthy", down: []string{"us-east", "us-west"}, c: noGeo, want: []string{"eu-central"}},
		{name: "no coordinates: first", c: noCoords, want: []string{"us-east"}, wantScope: 24},
	})
	var tr Trace
	s.Select(nil, noGeo, nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepFallback, "no GeoIP location: taking the first healthy endpoint in order") {
		t.Errorf("trace does not say there is no location:\n%s", dumpTrace(&tr))
	}
	tr = Trace{}
	s.Select(nil, noCoords, nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepFallback, "no client coordinates: taking the first healthy endpoint in order") {
		t.Errorf("trace does not say there are no coordinates:\n%s", dumpTrace(&tr))
	}
	tr = Trace{}
	s.Select(nil, client("192.0.2.1", 32, locGermany, "192.0.2.0/24"), nil, make([]int, 0, 8), &tr)
	if !hasStep(&tr, StepCandidate, "healthy", "km away") {
		t.Errorf("trace does not give distances:\n%s", dumpTrace(&tr))
	}
}

func TestGeoproximity(t *testing.T) {
	on := client("192.0.2.130", 32, locCanada, "192.0.2.128/26")
	fr := client("2001:db8:f::", 56, locFrance, "2001:db8::/32")
	dToronto := [2]float64{
		geo.DistanceKm(locCanada.Lat, locCanada.Lon, atAshburn.Lat, atAshburn.Lon),
		geo.DistanceKm(locCanada.Lat, locCanada.Lon, atSanJose.Lat, atSanJose.Lon),
	}
	dParis := [2]float64{
		geo.DistanceKm(locFrance.Lat, locFrance.Lon, atFrankfurt.Lat, atFrankfurt.Lon),
		geo.DistanceKm(locFrance.Lat, locFrance.Lon, atLondon.Lat, atLondon.Lon),
	}
	// The cases below rely on these distances.
	if !(dToronto[0] < dToronto[1] && dToronto[1]*0.1 < dToronto[0] && dToronto[0]*1.99 < dToronto[1]) {
		t.Fatalf("Toronto distances %v do not suit the test", dToronto)
	}
	if !(dParis[1] < dParis[0] && dParis[1]*1.5 > dParis[0]) {
		t.Fatalf("Paris distances %v do not suit the test", dParis)
	}
	cases := []struct {
		name    string
		biases  map[string]int
		c       *Client
		want    string
		wantMsg string
	}{
		{name: "no bias: nearest", c: on, want: "us-east"},
		{name: "positive bias draws from farther", biases: map[string]int{"us-west": 90}, c: on, want: "us-west", wantMsg: "bias 90: biased distance"},
		{name: "negative bias not enough", biases: map[string]int{"us-east": -99}, c: on, want: "us-east"},
		{name: "no bias Paris: London", c: fr, want: "eu-west"},
		{name: "negative bias pushes away", biases: map[string]int{"eu-west": -50}, c: fr, want: "eu-central", wantMsg: "bias -50"},
		{name: "positive bias on the winner keeps it", biases: map[string]int{"eu-west": 50}, c: fr, want: "eu-west"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eps := regions()
			eps = append(eps, ep("eu-west", at(atLondon)))
			for i := range eps {
				eps[i].Bias = tc.biases[eps[i].ID]
			}
			s := compile(t, "geoproximity", svcOpts{}, eps...)
			var tr Trace
			got, scope := s.Select(nil, tc.c, nil, make([]int, 0, 8), &tr)
			if len(got) != 1 || s.ID(got[0]) != tc.want || scope != tc.c.Loc.Network.Bits() {
				t.Errorf("Select = %v scope %d, want %s scope %d\n%s", ids(s, got), scope, tc.want, tc.c.Loc.Network.Bits(), dumpTrace(&tr))
			}
			if tr.Rule != "geoproximity: least biased distance" {
				t.Errorf("rule %q", tr.Rule)
			}
			if tc.wantMsg != "" && !hasStep(&tr, StepCandidate, tc.wantMsg) {
				t.Errorf("trace lacks %q:\n%s", tc.wantMsg, dumpTrace(&tr))
			}
		})
	}

	s := compile(t, "geoproximity", svcOpts{}, regions(bias(10))...)
	run(t, s, []selectCase{
		{name: "unhealthy winner", down: []string{"us-east"}, c: on, want: []string{"us-west"}, wantScope: 26},
		{name: "no location: first healthy", c: &Client{Addr: mustAddr("192.0.2.1"), Bits: 32}, want: []string{"us-east"}, wantRule: "geoproximity: first healthy (no location)"},
	})
}
