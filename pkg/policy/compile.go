package policy

import (
	"cmp"
	"errors"
	"fmt"
	"math"
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

// maxWeightTotal bounds the sum of a service's weights so that draws fit an
// int on every platform.
const maxWeightTotal = math.MaxInt32

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

// Compile prepares cfg for Select. It expects a service that config has
// normalized and validated, and reports what it cannot use rather than
// guessing: an unknown policy, no endpoints, a bad or doubly pinned
// network, a negative or too large weight, a bias outside -99..99, or a
// when_all_down that names no endpoint. cfg must not change afterwards.
func Compile(cfg *config.Service) (*Service, error) {
	if cfg == nil {
		return nil, errors.New("policy: nil service")
	}
	s := &Service{cfg: cfg, maxAnswers: cfg.MaxAnswers, eps: make([]endpoint, len(cfg.Endpoints))}
	var err error
	if s.policy, err = parsePolicy(cfg.Policy); err != nil {
		return nil, fmt.Errorf("policy: service %s: %w", cfg.Name, err)
	}
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("policy: service %s has no endpoints", cfg.Name)
	}
	switch {
	case s.maxAnswers == 0 && s.policy == multivalue:
		s.maxAnswers = config.MaxMultivalueAnswers
	case s.maxAnswers == 0:
		s.maxAnswers = 1
	case s.maxAnswers < 0 || s.maxAnswers > config.MaxMultivalueAnswers:
		return nil, fmt.Errorf("policy: service %s: max_answers %d is not within 1..%d", cfg.Name, s.maxAnswers, config.MaxMultivalueAnswers)
	}
	total := 0
	nets, ids := make([][]string, len(cfg.Endpoints)), make([]string, len(cfg.Endpoints))
	for i := range cfg.Endpoints {
		e := &cfg.Endpoints[i]
		w := e.EffectiveWeight()
		if w < 0 || w > maxWeightTotal-total {
			return nil, fmt.Errorf("policy: service %s: endpoint %s: weight %d is negative or makes the total exceed %d", cfg.Name, e.ID, w, maxWeightTotal)
		}
		total += w
		if e.Bias < -99 || e.Bias > 99 {
			return nil, fmt.Errorf("policy: service %s: endpoint %s: bias %d is not within -99..99", cfg.Name, e.ID, e.Bias)
		}
		ep := endpoint{id: e.ID, priority: e.Priority, weight: w, bias: e.Bias, biasFactor: 1 - float64(e.Bias)/100}
		if e.Location != nil {
			ep.hasLoc, ep.lat, ep.lon = true, e.Location.Lat, e.Location.Lon
			ep.point = toPoint(ep.lat, ep.lon)
		}
		s.eps[i] = ep
		nets[i], ids[i] = e.Networks, e.ID
	}
	if err := s.compileAllDown(cfg.WhenAllDown); err != nil {
		return nil, fmt.Errorf("policy: service %s: %w", cfg.Name, err)
	}
	s.byPriority = make([]int, len(s.eps))
	for i := range s.byPriority {
		s.byPriority[i] = i
	}
	slices.SortStableFunc(s.byPriority, func(a, b int) int { return cmp.Compare(s.eps[a].priority, s.eps[b].priority) })
	if s.pins, err = compilePins(nets, ids); err != nil {
		return nil, fmt.Errorf("policy: service %s: %w", cfg.Name, err)
	}
	s.geo = compileGeo(cfg.Endpoints)
	return s, nil
}

func parsePolicy(p string) (policyKind, error) {
	switch p {
	case config.PolicyFailover:
		return failover, nil
	case config.PolicyGeo:
		return geoPolicy, nil
	case config.PolicyLatency:
		return latency, nil
	case config.PolicyGeoproximity:
		return geoproximity, nil
	case config.PolicyWeighted:
		return weighted, nil
	case config.PolicyMultivalue:
		return multivalue, nil
	}
	return 0, fmt.Errorf("unknown policy %q", p)
}

func (s *Service) compileAllDown(w string) error {
	switch w {
	case "", config.AllDownAll:
		s.allDown = allDownAll
		return nil
	case config.AllDownNone:
		s.allDown = allDownNone
		return nil
	}
	for i := range s.eps {
		if s.eps[i].id == w {
			s.allDown, s.allDownEP = allDownEndpoint, i
			return nil
		}
	}
	return fmt.Errorf("when_all_down %q is not all, none or an endpoint id", w)
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
	return s.cfg.Policy == config.PolicyWeighted || s.cfg.Policy == config.PolicyMultivalue
}
