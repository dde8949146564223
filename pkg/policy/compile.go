package policy

import (
	"cmp"
	"slices"

	"github.com/gtmd/gtmd/pkg/config"
)

// policyKind is a service's policy, decoded once.
type policyKind uint8

const (
	failover policyKind = iota
	geoPolicy
	latency
	geoproximity
	weighted
	multivalue
)

// allDownMode is what when_all_down says.
type allDownMode uint8

const (
	allDownAll allDownMode = iota
	allDownNone
	allDownEndpoint
)

// Service is a config.Service compiled for selection: policy decoded, pins
// in a longest-prefix-match table, geo codes in maps, failover order, weights
// and biases precomputed. It is immutable and safe for concurrent use.
type Service struct {
	cfg        *config.Service
	policy     policyKind
	maxAnswers int
	allDown    allDownMode
	allDownEP  int // endpoint of allDownEndpoint
	eps        []endpoint
	byPriority []int // endpoint indexes by priority, then config order
	pins       pins
	geo        geoIndex
}

// endpoint is what selection needs of one config.Endpoint.
type endpoint struct {
	id       string
	hasLoc   bool
	lat, lon float64
	point    point // lat, lon as a unit vector
	priority int
	weight   int
	bias     int
	// biasFactor is 1 - bias/100: geoproximity multiplies distance by it.
	biasFactor float64
}

// Compile prepares cfg for Select. cfg must have passed config validation
// (config.ParseTraffic, LoadTraffic or Traffic.Validate), which is where
// every rule about a service is enforced, with the place it breaks: a
// known policy, at least one endpoint, max_answers filled in and within
// 1..config.MaxMultivalueAnswers, weights not negative and totalling at
// most config.MaxWeightTotal, biases within -99..99, networks in CIDR
// notation without host bits, IPv4 written as IPv4 and pinned once, and a
// when_all_down that is all, none or an endpoint id. Compile checks none
// of it again. cfg must not change afterwards.
func Compile(cfg *config.Service) *Service {
	s := &Service{cfg: cfg, policy: policyOf(cfg.Policy), maxAnswers: cfg.MaxAnswers, eps: make([]endpoint, len(cfg.Endpoints))}
	nets := make([][]string, len(cfg.Endpoints))
	for i := range cfg.Endpoints {
		e := &cfg.Endpoints[i]
		ep := endpoint{id: e.ID, priority: e.Priority, weight: e.EffectiveWeight(), bias: e.Bias, biasFactor: 1 - float64(e.Bias)/100}
		if e.Location != nil {
			ep.hasLoc, ep.lat, ep.lon = true, e.Location.Lat, e.Location.Lon
			ep.point = toPoint(ep.lat, ep.lon)
		}
		s.eps[i] = ep
		nets[i] = e.Networks
	}
	s.allDown, s.allDownEP = allDownOf(cfg.WhenAllDown, cfg.Endpoints)
	s.byPriority = make([]int, len(s.eps))
	for i := range s.byPriority {
		s.byPriority[i] = i
	}
	slices.SortStableFunc(s.byPriority, func(a, b int) int { return cmp.Compare(s.eps[a].priority, s.eps[b].priority) })
	s.pins = compilePins(nets)
	s.geo = compileGeo(cfg.Endpoints)
	return s
}

// policyOf decodes a validated policy name.
func policyOf(p string) policyKind {
	switch p {
	case config.PolicyGeo:
		return geoPolicy
	case config.PolicyLatency:
		return latency
	case config.PolicyGeoproximity:
		return geoproximity
	case config.PolicyWeighted:
		return weighted
	case config.PolicyMultivalue:
		return multivalue
	}
	return failover
}

// allDownOf decodes a validated when_all_down: all, none or the id of one
// of eps, whose index it also returns.
func allDownOf(w string, eps []config.Endpoint) (allDownMode, int) {
	switch w {
	case config.AllDownAll:
		return allDownAll, 0
	case config.AllDownNone:
		return allDownNone, 0
	}
	if i := slices.IndexFunc(eps, func(e config.Endpoint) bool { return e.ID == w }); i >= 0 {
		return allDownEndpoint, i
	}
	return allDownAll, 0
}

// Config returns the service this was compiled from. Endpoint index i of
// Select is Config().Endpoints[i]. It must not be modified.
func (s *Service) Config() *config.Service { return s.cfg }

// Endpoints returns the number of endpoints.
func (s *Service) Endpoints() int { return len(s.eps) }

// ID returns the id of endpoint i.
func (s *Service) ID(i int) string { return s.eps[i].id }

// MaxAnswers returns the most endpoints one Select returns (so the least
// capacity out needs to never grow).
func (s *Service) MaxAnswers() int { return s.maxAnswers }

// String returns the service name and policy, for logs.
func (s *Service) String() string { return s.cfg.Name + " (" + s.cfg.Policy + ")" }

// Random reports whether Select draws at random (weighted, multivalue), so
// the same client and health may get other endpoints on another call;
// every other policy's choice can be remembered per client and health.
func (s *Service) Random() bool {
	return s.policy == weighted || s.policy == multivalue
}
