package admin

import (
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// AssumedPropagation stands for the propagation part of a failover bound
// until a node has measured one: the time the cluster takes, at the 99th
// percentile, from the cluster's verdict on a check turning down to the
// last node serving without its endpoint.
const AssumedPropagation = time.Second

// Propagation is what a node has measured of its failovers: the 99th
// percentile of the propagation part and how many failovers it is drawn
// from. The zero Propagation has measured none.
type Propagation struct {
	P99     time.Duration
	Samples int
}

// NewFailoverBound states the failover bound of service's endpoints under
// doc, a validated document, with the propagation measured (AssumedPropagation when none was);
// ErrNotFound when doc has no such service. It is the one place the
// bound is defined, for every Backend.
func NewFailoverBound(doc *config.Traffic, service string, p Propagation) (*FailoverBound, error) {
	if doc == nil {
		return nil, fmt.Errorf("no traffic document is served: %w", ErrNotFound)
	}
	var svc *config.Service
	for i := range doc.Services {
		if doc.Services[i].Name == service {
			svc = &doc.Services[i]
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("no service %s in the served document: %w", service, ErrNotFound)
	}
	ttl := uint32(config.DefaultServiceTTL)
	if svc.TTL != nil {
		ttl = *svc.TTL
	}
	fb := &FailoverBound{Service: svc.Name, TTL: ttl, Endpoints: []FailoverEndpoint{}}
	checks := make(map[string]*config.Check, len(doc.Checks))
	for i := range doc.Checks {
		checks[doc.Checks[i].Name] = &doc.Checks[i]
	}
	for _, e := range svc.Endpoints {
		fe := FailoverEndpoint{ID: e.ID, Check: e.Check, TTLSeconds: ttl}
		d, how, ok := detection(checks, e.Check, map[string]bool{})
		if e.Check == "" && e.Target != "" {
			// The name's lookups detect it, as its resolvers see it: no
			// bound can be stated for a region going dark.
			how = "no check: only its target " + e.Target + " failing to resolve, or a drain, takes the endpoint out"
		}
		fe.Detection = how
		if ok {
			ds := d.Seconds()
			fe.DetectionSeconds = &ds
		}
		fb.Endpoints = append(fb.Endpoints, fe)
	}
	fb.setPropagation(p, "on this node")
	return fb, nil
}

// setPropagation adds p, measured where says, to every endpoint's bound.
func (fb *FailoverBound) setPropagation(p Propagation, where string) {
	prop := AssumedPropagation
	fb.Samples, fb.PropagationP99, fb.Note = p.Samples, nil, ""
	if p.Samples > 0 {
		prop = p.P99
		v := p.P99.Seconds()
		fb.PropagationP99 = &v
	} else {
		fb.Note = fmt.Sprintf("no failover measured %s yet: propagation is assumed to be %v", where, AssumedPropagation)
	}
	for i := range fb.Endpoints {
		fe := &fb.Endpoints[i]
		fe.PropagationP99, fe.PropagationMeasured, fe.WorstCaseSeconds = prop.Seconds(), p.Samples > 0, nil
		if fe.DetectionSeconds != nil {
			worst := *fe.DetectionSeconds + prop.Seconds() + float64(fe.TTLSeconds)
			fe.WorstCaseSeconds = &worst
		}
	}
}

// detection is the longest a region can be dark before check turns
// down on a node: the probe after it went dark comes up to an interval
// later, and fall failures, the last taking up to the timeout, make it
// down. A calculated check takes as long as its slowest child. It says
// how it got there, or, with ok false, what detects the failure instead.
// seen guards against cycles, which validation refuses anyway.
func detection(checks map[string]*config.Check, name string, seen map[string]bool) (d time.Duration, how string, ok bool) {
	if name == "" {
		return 0, "no check: only a drain takes the endpoint out", false
	}
	c := checks[name]
	if c == nil || seen[name] {
		return 0, fmt.Sprintf("check %s is not in the document", name), false
	}
	seen[name] = true
	defer delete(seen, name)
	switch c.Type {
	case config.CheckExternal:
		return 0, fmt.Sprintf("external check %s: as the pusher detects it, within the TTL it pushes with", name), false
	case config.CheckCalculated:
		var slowest string
		for _, child := range c.Children {
			cd, chow, cok := detection(checks, child, seen)
			if !cok {
				return 0, fmt.Sprintf("calculated check %s: child %s", name, chow), false
			}
			if slowest == "" || cd > d {
				d, slowest = cd, chow
			}
		}
		if slowest == "" {
			return 0, fmt.Sprintf("calculated check %s has no children", name), false
		}
		return d, fmt.Sprintf("calculated check %s: its slowest child, %s", name, slowest), true
	}
	// doc was validated: its checks' defaults are filled in.
	interval, timeout, fall := c.Interval.Std(), c.Timeout.Std(), c.Fall
	d = time.Duration(fall)*interval + timeout
	return d, fmt.Sprintf("check %s: fall %d × interval %v + timeout %v", name, fall, interval, timeout), true
}
