package policy

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
)

// Places clients come from, with realistic coordinates.
var (
	locVirginia   = geo.Location{Country: "US", Subdivision: "VA", Continent: "NA", Lat: 39.04, Lon: -77.49, HasCoords: true}
	locCalifornia = geo.Location{Country: "US", Subdivision: "CA", Continent: "NA", Lat: 37.77, Lon: -122.42, HasCoords: true}
	locCanada     = geo.Location{Country: "CA", Subdivision: "ON", Continent: "NA", Lat: 43.65, Lon: -79.38, HasCoords: true}
	locGermany    = geo.Location{Country: "DE", Subdivision: "HE", Continent: "EU", Lat: 50.11, Lon: 8.68, HasCoords: true}
	locFrance     = geo.Location{Country: "FR", Subdivision: "IDF", Continent: "EU", Lat: 48.86, Lon: 2.35, HasCoords: true}
	locUK         = geo.Location{Country: "GB", Subdivision: "ENG", Continent: "EU", Lat: 51.51, Lon: -0.13, HasCoords: true}
	locJapan      = geo.Location{Country: "JP", Subdivision: "13", Continent: "AS", Lat: 35.68, Lon: 139.69, HasCoords: true}
	locBrazil     = geo.Location{Country: "BR", Subdivision: "SP", Continent: "SA", Lat: -23.55, Lon: -46.63, HasCoords: true}
	locAustralia  = geo.Location{Country: "AU", Subdivision: "NSW", Continent: "OC", Lat: -33.87, Lon: 151.21, HasCoords: true}
)

// Endpoint locations.
var (
	atAshburn   = &config.LatLon{Lat: 39.04, Lon: -77.49}
	atSanJose   = &config.LatLon{Lat: 37.34, Lon: -121.89}
	atFrankfurt = &config.LatLon{Lat: 50.11, Lon: 8.68}
	atLondon    = &config.LatLon{Lat: 51.51, Lon: -0.13}
	atTokyo     = &config.LatLon{Lat: 35.68, Lon: 139.69}
	atSaoPaulo  = &config.LatLon{Lat: -23.55, Lon: -46.63}
	atSydney    = &config.LatLon{Lat: -33.87, Lon: 151.21}
)

// ep builds an endpoint; opts set its other fields.
func ep(id string, opts ...func(*config.Endpoint)) config.Endpoint {
	e := config.Endpoint{ID: id, A: []string{"192.0.2.1"}}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func at(l *config.LatLon) func(*config.Endpoint) {
	return func(e *config.Endpoint) { e.Location = l }
}
func countries(c ...string) func(*config.Endpoint) {
	return func(e *config.Endpoint) { e.Countries = c }
}
func continents(c ...string) func(*config.Endpoint) {
	return func(e *config.Endpoint) { e.Continents = c }
}
func networks(n ...string) func(*config.Endpoint) {
	return func(e *config.Endpoint) { e.Networks = n }
}
func isDefault(e *config.Endpoint) { e.Default = true }
func priority(p int) func(*config.Endpoint) {
	return func(e *config.Endpoint) { e.Priority = p }
}
func weight(w int) func(*config.Endpoint) {
	return func(e *config.Endpoint) { e.Weight = &w }
}
func bias(b int) func(*config.Endpoint) {
	return func(e *config.Endpoint) { e.Bias = b }
}

// svcOpts are the service-level settings a test varies.
type svcOpts struct {
	maxAnswers  int
	whenAllDown string
}

// compile compiles a service named www.example.com. once config
// validation has passed it, as it passes every service Compile is given.
func compile(t testing.TB, policy string, o svcOpts, eps ...config.Endpoint) *Service {
	t.Helper()
	ttl := uint32(30)
	return Compile(validated(t, config.Service{Name: "www.example.com.", Policy: policy, TTL: &ttl,
		MaxAnswers: o.maxAnswers, WhenAllDown: o.whenAllDown, Endpoints: eps}))
}

// validated returns s as config validation leaves it (defaults filled,
// names and networks normalized) in a one-zone document, failing the test
// if the document has a fault.
func validated(t testing.TB, s config.Service) *config.Service {
	t.Helper()
	tr := &config.Traffic{
		Zones: []config.Zone{{Name: "example.com.", NS: []string{"ns1.example.net."},
			SOA: config.SOA{MName: "ns1.example.net.", RName: "hostmaster.example.com."}}},
		Services: []config.Service{s},
	}
	if err := tr.Validate(); err != nil {
		t.Fatalf("the service does not pass config validation:\n%v", err)
	}
	return &tr.Services[0]
}

// regions is six endpoints around the world, each with a location, the
// countries and continents of its region, and priority by position.
func regions(extra ...func(*config.Endpoint)) []config.Endpoint {
	eps := []config.Endpoint{
		ep("us-east", at(atAshburn), countries("US", "CA"), continents("NA"), priority(1), isDefault),
		ep("us-west", at(atSanJose), countries("US-CA", "US-OR", "US-WA"), priority(2)),
		ep("eu-central", at(atFrankfurt), countries("DE"), continents("EU", "AF"), priority(3)),
		ep("ap-northeast", at(atTokyo), countries("JP"), continents("AS"), priority(4)),
		ep("sa-east", at(atSaoPaulo), continents("SA"), priority(5)),
		ep("ap-southeast", at(atSydney), countries("AU", "NZ"), continents("OC"), priority(6)),
	}
	for i := range eps {
		for _, o := range extra {
			o(&eps[i])
		}
	}
	return eps
}

// client builds a located client: addr with bits known, loc whose database
// network is netw ("" for none).
func client(addr string, bits int, loc geo.Location, netw string) *Client {
	c := &Client{Addr: netip.MustParseAddr(addr), Bits: bits, Loc: loc, HasLoc: loc.Known()}
	if netw != "" {
		c.Loc.Network = netip.MustParsePrefix(netw)
	}
	return c
}

// up returns the health of n endpoints, all healthy but down.
func up(n int, down ...int) []bool {
	h := make([]bool, n)
	for i := range h {
		h[i] = !slices.Contains(down, i)
	}
	return h
}

// newRand is a seeded source, so every run draws the same.
func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func ids(s *Service, chosen []int) []string {
	out := make([]string, len(chosen))
	for k, i := range chosen {
		out[k] = s.ID(i)
	}
	return out
}

func idx(s *Service, id string) int {
	for i := range s.Endpoints() {
		if s.ID(i) == id {
			return i
		}
	}
	panic("no endpoint " + id)
}

// downIDs returns the health of s's endpoints with the named ones down.
func downIDs(s *Service, names ...string) []bool {
	var d []int
	for _, n := range names {
		d = append(d, idx(s, n))
	}
	return up(s.Endpoints(), d...)
}

// hasStep reports whether the trace has a step of kind whose detail holds
// every part.
func hasStep(tr *Trace, kind string, parts ...string) bool {
	for _, st := range tr.Steps {
		if st.Kind != kind {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(st.Detail, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func dumpTrace(tr *Trace) string {
	var b strings.Builder
	for _, st := range tr.Steps {
		b.WriteString("  " + st.Kind + " [" + st.Endpoint + "] " + st.Detail + "\n")
	}
	b.WriteString("  rule: " + tr.Rule + "\n")
	return b.String()
}

// selectCase is one row of the policy tables.
type selectCase struct {
	name      string
	down      []string
	c         *Client
	want      []string
	wantScope int
	wantRule  string // prefix of Trace.Rule, if set
}

// run checks each case with and without a trace: the same answer both
// ways, and the rule named.
func run(t *testing.T, s *Service, cases []selectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := downIDs(s, tc.down...)
			out := make([]int, 0, 8)
			got, scope := s.Select(h, tc.c, newRand(), out, nil)
			var tr Trace
			got2, scope2 := s.Select(h, tc.c, newRand(), make([]int, 0, 8), &tr)
			if !slices.Equal(ids(s, got), tc.want) || scope != tc.wantScope {
				t.Errorf("Select = %v scope %d, want %v scope %d\n%s", ids(s, got), scope, tc.want, tc.wantScope, dumpTrace(&tr))
			}
			if !slices.Equal(got, got2) || scope != scope2 {
				t.Errorf("traced Select = %v scope %d, untraced %v scope %d", ids(s, got2), scope2, ids(s, got), scope)
			}
			if tc.wantRule != "" && !strings.HasPrefix(tr.Rule, tc.wantRule) {
				t.Errorf("rule %q, want prefix %q\n%s", tr.Rule, tc.wantRule, dumpTrace(&tr))
			}
		})
	}
}

func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// *math/rand/v2.Rand is a Rand.
var _ Rand = (*rand.Rand)(nil)
