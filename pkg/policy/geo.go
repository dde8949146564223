package policy

import (
	"strings"

	"github.com/gtmd/gtmd/pkg/config"
)

// geoIndex maps the geo policy's codes to the endpoints that list them, in
// config order.
type geoIndex struct {
	subdivisions map[subdivision][]int
	countries    map[string][]int
	continents   map[string][]int
	def          int   // the default endpoint, or -1
	defLevel     []int // {def}, or empty
}

// subdivision is an ISO 3166-2 code split as geo.Location carries it:
// "US-CA" is {"US", "CA"}.
type subdivision struct{ country, code string }

// compileGeo indexes the codes of validated endpoints: ISO 3166 codes and
// continents as config checks them, at most one default.
func compileGeo(eps []config.Endpoint) geoIndex {
	g := geoIndex{subdivisions: map[subdivision][]int{}, countries: map[string][]int{}, continents: map[string][]int{}, def: -1}
	for i := range eps {
		e := &eps[i]
		for _, c := range e.Countries {
			if country, code, ok := strings.Cut(c, "-"); ok {
				k := subdivision{country, code}
				g.subdivisions[k] = appendOnce(g.subdivisions[k], i)
			} else {
				g.countries[c] = appendOnce(g.countries[c], i)
			}
		}
		for _, c := range e.Continents {
			g.continents[c] = appendOnce(g.continents[c], i)
		}
		if e.Default { // config validation allows at most one
			g.def, g.defLevel = i, []int{i}
		}
	}
	return g
}

func appendOnce(l []int, i int) []int {
	if n := len(l); n > 0 && l[n-1] == i {
		return l
	}
	return append(l, i)
}

// selectGeo walks the geo levels: subdivision, country, continent, the
// default endpoint, then the nearest healthy endpoint (first healthy in
// order if the client has no coordinates). A level answers with its healthy
// endpoints, up to MaxAnswers; a level whose endpoints are all unhealthy
// falls to the next. With no location at all, the default endpoint answers
// if healthy, else the first healthy ones. The scope is the location's.
func (s *Service) selectGeo(h health, c *Client, out []int, t *Trace) ([]int, int) {
	scope := locScope(c)
	if !c.HasLoc {
		d := s.geo.def
		if d >= 0 && h.ok(d) {
			if t != nil {
				t.addf(StepFallback, s.eps[d].id, "no GeoIP location: taking the default endpoint %s", s.eps[d].id)
				t.Rule = "geo: default (no location)"
			}
			return append(out, d), scope
		}
		if t != nil {
			if d >= 0 {
				t.addf(StepFallback, s.eps[d].id, "no GeoIP location and the default endpoint %s is unhealthy: taking the first healthy endpoint", s.eps[d].id)
			} else {
				t.addf(StepFallback, "", "no GeoIP location and no default endpoint: taking the first healthy endpoint")
			}
			t.Rule = "geo: first healthy (no location)"
		}
		return s.firstHealthy(h, out), scope
	}
	l := &c.Loc
	if l.Country != "" && l.Subdivision != "" {
		if out = s.geoLevel(h, s.geo.subdivisions[subdivision{l.Country, l.Subdivision}], out, t, "subdivision", l.Country, l.Subdivision); len(out) > 0 {
			return out, scope
		}
	}
	if l.Country != "" {
		if out = s.geoLevel(h, s.geo.countries[l.Country], out, t, "country", l.Country, ""); len(out) > 0 {
			return out, scope
		}
	}
	if l.Continent != "" {
		if out = s.geoLevel(h, s.geo.continents[l.Continent], out, t, "continent", l.Continent, ""); len(out) > 0 {
			return out, scope
		}
	}
	if len(s.geo.defLevel) > 0 {
		if out = s.geoLevel(h, s.geo.defLevel, out, t, "default", "", ""); len(out) > 0 {
			return out, scope
		}
	}
	out, ok := s.nearest(h, c, false, out, t)
	if t != nil {
		if ok {
			t.Rule = "geo: nearest healthy"
		} else {
			t.addf(StepFallback, "", "no client coordinates: taking the first healthy endpoint in order")
			t.Rule = "geo: first healthy (no coordinates)"
		}
	}
	if !ok {
		out = s.firstHealthy(h, out)
	}
	return out, scope
}

// geoLevel appends the healthy endpoints among eps, up to MaxAnswers. The
// level and codes a, b name it in the trace (see levelName).
func (s *Service) geoLevel(h health, eps []int, out []int, t *Trace, level, a, b string) []int {
	if t != nil && len(eps) == 0 {
		t.addf(StepLevel, "", "%s: no endpoint lists it", levelName(level, a, b))
	}
	for _, i := range eps {
		ok := h.ok(i)
		if t != nil {
			t.addf(StepLevel, s.eps[i].id, "%s: %s is %s", levelName(level, a, b), s.eps[i].id, healthWord(ok))
		}
		if ok && len(out) < s.maxAnswers {
			out = append(out, i)
		}
	}
	if t != nil {
		switch {
		case len(out) > 0:
			t.Rule = "geo: " + levelName(level, a, b)
		case len(eps) > 0:
			t.addf(StepFallback, "", "every endpoint of %s is unhealthy: trying the next level", levelName(level, a, b))
		}
	}
	return out
}

// levelName is "country US", "subdivision US-CA" or "default".
func levelName(level, a, b string) string {
	switch {
	case a == "":
		return level
	case b == "":
		return level + " " + a
	}
	return level + " " + a + "-" + b
}
