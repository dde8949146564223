// Package admintest is an in-memory admin.Backend for tests of the admin
// API and of the clients that call it. It keeps a traffic document, its
// revision, members, overrides and external statuses in memory, answers
// explain from the document, and publishes events to subscribers. It is
// no model of a cluster: its health is overrides and external statuses,
// and members follow an applied document at once unless told to lag.
package admintest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/policy"
)

// TrafficYAML is a small valid traffic document: zone example.com., the
// failover service www.example.com. with endpoints us-east (check us-web,
// http) and eu-west (check pushed, external).
const TrafficYAML = `zones:
  - name: example.com.
    ttl: 300
    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}
    ns: [ns1.example.com.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
services:
  - name: www.example.com.
    policy: failover
    ttl: 30
    endpoints:
      - {id: us-east, priority: 1, a: [198.51.100.10], check: us-web}
      - {id: eu-west, priority: 2, a: [203.0.113.10], check: pushed}
checks:
  - {name: us-web, type: http, url: "http://198.51.100.10/healthz"}
  - {name: pushed, type: external}
`

// TrafficWithTTL is TrafficYAML with the service's TTL set to ttl: a
// document that differs from the stored one, for an apply that must
// store something (applying the stored document again changes nothing).
func TrafficWithTTL(ttl int) string {
	return strings.Replace(TrafficYAML, "    ttl: 30\n", fmt.Sprintf("    ttl: %d\n", ttl), 1)
}

// Backend is the in-memory admin.Backend. Its methods are safe for
// concurrent use.
type Backend struct {
	mu        sync.Mutex
	nodeID    string
	doc       *config.Traffic
	rev       int64
	members   []member.Member
	lagging   map[string]bool
	overrides map[[2]string]health.Override
	external  map[string]externalStatus
	events    *admin.Broadcaster
	err       error
	ready     bool
	degraded  string
	inSyncFn  func(calls int)
	explainFn func(admin.ExplainQuery) (*admin.Explanation, error)
	inSyncN   int
	applies   int
	prop      admin.Propagation
	// zones are the master files PUT, by zone.
	zones   map[string]string
	regions map[string]health.Override
	audit   []audit.Entry
	// targets are what endpoints named by hostname resolve to, by
	// service and endpoint.
	targets map[[2]string]health.TargetState
}

type externalStatus struct {
	healthy bool
	ttl     time.Duration
}

var _ admin.Backend = (*Backend)(nil)

// New returns a backend for node nodeID that holds doc (parsed from
// TrafficYAML when nil) at revision 1, with nodeID as its only member.
func New(nodeID string, doc *config.Traffic) *Backend {
	if doc == nil {
		var err error
		if doc, err = config.ParseTraffic("admintest", []byte(TrafficYAML), ""); err != nil {
			panic("admintest: TrafficYAML is invalid: " + err.Error())
		}
	}
	b := &Backend{
		nodeID:    nodeID,
		doc:       doc,
		rev:       1,
		lagging:   map[string]bool{},
		overrides: map[[2]string]health.Override{},
		external:  map[string]externalStatus{},
		events:    admin.NewBroadcaster(func() time.Time { return time.Now().UTC() }),
		ready:     true,
	}
	b.members = []member.Member{{ID: nodeID, Region: "test", DNS: []string{"127.0.0.1:53"}, Version: "test", Revision: 1}}
	return b
}

// NewServer serves the admin API over b on an httptest server that is
// closed when tb ends. opts.Backend is set to b.
func NewServer(tb testing.TB, b *Backend, opts admin.Options) *httptest.Server {
	tb.Helper()
	return serve(tb, b, b.nodeID, opts)
}

// serve serves the admin API over backend, node nodeID unless opts says.
func serve(tb testing.TB, backend admin.Backend, nodeID string, opts admin.Options) *httptest.Server {
	tb.Helper()
	opts.Backend = backend
	if opts.NodeID == "" {
		opts.NodeID = nodeID
	}
	h, err := admin.New(opts)
	if err != nil {
		tb.Fatalf("admin.New: %v", err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// AddMember adds a live member at the current revision.
func (b *Backend) AddMember(m member.Member) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.Revision == 0 {
		m.Revision = b.rev
	}
	b.members = append(b.members, m)
}

// SetMemberAdmin sets the admin URL a member publishes.
func (b *Backend) SetMemberAdmin(id, url string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.members {
		if b.members[i].ID == id {
			b.members[i].Admin = url
		}
	}
}

// SetLagging makes member id stop following applied documents (true), or
// catch up with the current revision (false).
func (b *Backend) SetLagging(id string, lag bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lagging[id] = lag
	if !lag {
		for i := range b.members {
			if b.members[i].ID == id {
				b.members[i].Revision = b.rev
			}
		}
	}
}

// OnInSync calls fn with the number of InSync calls so far, after each.
func (b *Backend) OnInSync(fn func(calls int)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inSyncFn = fn
}

// SetExplain makes Explain answer with fn (nil: from the document).
func (b *Backend) SetExplain(fn func(admin.ExplainQuery) (*admin.Explanation, error)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.explainFn = fn
}

// SetTarget makes Health show endpoint of service as named by hostname,
// its lookups' state st (and out, with the node's reason, while st says
// it cannot be served).
func (b *Backend) SetTarget(service, endpoint string, st health.TargetState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.targets == nil {
		b.targets = map[[2]string]health.TargetState{}
	}
	b.targets[[2]string{service, endpoint}] = st
}

// SetErr makes every call but Ready fail with err (nil: succeed again),
// such as admin.ErrUnavailable.
func (b *Backend) SetErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

// SetReady sets what Ready reports.
func (b *Backend) SetReady(ready bool, degraded string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ready, b.degraded = ready, degraded
}

// Revision returns the stored revision.
func (b *Backend) Revision() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rev
}

// Applies returns how many documents were stored (dry runs not counted).
func (b *Backend) Applies() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.applies
}

// Override returns the override of an endpoint, if any.
func (b *Backend) Override(service, endpoint string) (health.Override, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.overrides[[2]string{service, endpoint}]
	return o, ok
}

// External returns the status an external check was given.
func (b *Backend) External(check string) (healthy bool, ttl time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.external[check]
	return st.healthy, st.ttl, ok
}

// Subscribers returns how many event subscriptions are open.
func (b *Backend) Subscribers() int { return b.events.Subscribers() }

// Publish sends an event saying data to every subscriber, dropping it
// for those whose buffer is full.
func (b *Backend) Publish(data admin.EventData) { b.events.Send(data) }

// Config implements admin.Backend.
func (b *Backend) Config(context.Context) (*config.Traffic, int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, 0, b.err
	}
	if b.doc == nil {
		return nil, 0, fmt.Errorf("no traffic document is stored: %w", admin.ErrNotFound)
	}
	return b.doc, b.rev, nil
}

// ApplyConfig implements admin.Backend.
func (b *Backend) ApplyConfig(ctx context.Context, doc *config.Traffic, ifRevision int64, dryRun bool) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if ifRevision != 0 && ifRevision != b.rev {
		return 0, admin.ErrRevisionMismatch
	}
	if dryRun {
		return b.rev, nil
	}
	if config.SameStored(doc, b.doc) {
		return b.rev, admin.ErrUnchanged
	}
	b.rev++
	b.applies++
	b.doc = doc
	for i := range b.members {
		if !b.lagging[b.members[i].ID] {
			b.members[i].Revision = b.rev
		}
	}
	b.events.Send(admin.ConfigApplied{Revision: b.rev})
	b.auditLocked(ctx, audit.ActionApply, "revision "+strconv.FormatInt(b.rev, 10))
	return b.rev, nil
}

// InSync implements admin.Backend.
func (b *Backend) InSync(_ context.Context, revision int64) ([]admin.MemberSync, error) {
	b.mu.Lock()
	if b.err != nil {
		defer b.mu.Unlock()
		return nil, b.err
	}
	out := make([]admin.MemberSync, len(b.members))
	for i, m := range b.members {
		out[i] = admin.MemberSync{ID: m.ID, Revision: m.Revision, InSync: m.Revision >= revision}
	}
	b.inSyncN++
	fn, n := b.inSyncFn, b.inSyncN
	b.mu.Unlock()
	if fn != nil {
		fn(n)
	}
	return out, nil
}

// Health implements admin.Backend: an endpoint is down when overridden
// down or when its external check was pushed unhealthy.
func (b *Backend) Health(context.Context) ([]admin.EndpointStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	var out []admin.EndpointStatus
	for _, s := range b.doc.Services {
		for _, e := range s.Endpoints {
			out = append(out, b.statusLocked(s.Name, e))
		}
	}
	return out, nil
}

func (b *Backend) statusLocked(service string, e config.Endpoint) admin.EndpointStatus {
	st := admin.EndpointStatus{Service: service, Endpoint: e.ID, Check: e.Check, Healthy: true, Reason: "no check"}
	if e.Check != "" {
		st.Reason = "check " + e.Check + " has no result yet"
		if x, ok := b.external[e.Check]; ok {
			st.Healthy = x.healthy
			st.Reason = "check " + e.Check + " pushed"
		}
		for _, m := range b.members {
			status := "up"
			if !st.Healthy {
				status = "down"
			}
			st.Observations = append(st.Observations, admin.Observation{Node: m.ID, Healthy: st.Healthy, Status: status, Latency: "1ms"})
		}
	}
	if tg, ok := b.targets[[2]string{service, e.ID}]; ok {
		st.Target = admin.NewTargetStatus(tg)
		if why := tg.Unresolved(); why != "" {
			st.Healthy, st.Reason = false, why
		}
	}
	if o, ok := b.overrides[[2]string{service, e.ID}]; ok {
		oc := o
		st.Override = &oc
		st.Healthy = o.State == health.OverrideUp
		st.Reason = "override " + o.State
		if o.Reason != "" {
			st.Reason += ": " + o.Reason
		}
	}
	return st
}

func (b *Backend) findLocked(service, endpoint string) (config.Endpoint, error) {
	return admin.FindEndpoint(b.doc, service, endpoint)
}

// SetOverride implements admin.Backend.
func (b *Backend) SetOverride(_ context.Context, service, endpoint string, o health.Override) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	e, err := b.findLocked(service, endpoint)
	if err != nil {
		return err
	}
	b.overrides[[2]string{service, endpoint}] = o
	b.events.Send(b.statusLocked(service, e))
	return nil
}

// DeleteOverride implements admin.Backend.
func (b *Backend) DeleteOverride(_ context.Context, service, endpoint string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	e, err := b.findLocked(service, endpoint)
	if err != nil {
		return err
	}
	k := [2]string{service, endpoint}
	if _, ok := b.overrides[k]; !ok {
		return fmt.Errorf("endpoint %s of service %s has no override: %w", endpoint, service, admin.ErrNoOverride)
	}
	delete(b.overrides, k)
	b.events.Send(b.statusLocked(service, e))
	return nil
}

// SetExternal implements admin.Backend.
func (b *Backend) SetExternal(_ context.Context, check string, healthy bool, ttl time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	i := slices.IndexFunc(b.doc.Checks, func(c config.Check) bool { return c.Name == check })
	if i < 0 {
		return fmt.Errorf("no check %s: %w", check, admin.ErrNotFound)
	}
	if b.doc.Checks[i].Type != config.CheckExternal {
		return fmt.Errorf("check %s is of type %s: %w", check, b.doc.Checks[i].Type, admin.ErrNotExternal)
	}
	b.external[check] = externalStatus{healthy: healthy, ttl: ttl}
	return nil
}

// SetPropagation sets what Failover reports as measured (the zero
// Propagation: nothing measured yet).
func (b *Backend) SetPropagation(p admin.Propagation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.prop = p
}

// Failover implements admin.Backend: the bound the document and the
// propagation set by SetPropagation give.
func (b *Backend) Failover(_ context.Context, service string) (*admin.FailoverBound, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	return admin.NewFailoverBound(b.doc, service, b.prop)
}

// Members implements admin.Backend.
func (b *Backend) Members(context.Context) ([]member.Member, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	return slices.Clone(b.members), nil
}

// Explain implements admin.Backend: a service answers the A records of
// its healthy endpoints of the lowest priority; another name in a zone
// answers NOERROR with nothing; a name outside every zone REFUSED.
func (b *Backend) Explain(_ context.Context, q admin.ExplainQuery) (*admin.Explanation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	if b.explainFn != nil {
		return b.explainFn(q)
	}
	ex := &admin.Explanation{
		Node:   b.nodeID,
		Name:   q.Name,
		Type:   dns.Type(q.QType).String(),
		Rcode:  "REFUSED",
		Answer: []string{},
		Client: admin.ExplainClient{Address: addrString(q.Client), Subnet: prefixString(q.ECS)},
	}
	for _, z := range b.doc.Zones {
		if dns.IsSubDomain(z.Name, q.Name) {
			ex.Rcode = "NOERROR"
		}
	}
	for _, s := range b.doc.Services {
		if s.Name != q.Name {
			continue
		}
		ex.Service = s.Name
		best := -1
		for _, e := range s.Endpoints {
			st := b.statusLocked(s.Name, e)
			ex.Endpoints = append(ex.Endpoints, admin.ExplainEndpoint{ID: e.ID, Healthy: st.Healthy})
			ex.Trace.Steps = append(ex.Trace.Steps, policy.Step{Kind: policy.StepCandidate, Endpoint: e.ID, Detail: fmt.Sprintf("priority %d, healthy %v", e.Priority, st.Healthy)})
			if st.Healthy && (best < 0 || e.Priority < best) {
				best = e.Priority
			}
		}
		ex.Trace.Rule = fmt.Sprintf("failover: priority %d", best)
		for _, e := range s.Endpoints {
			if e.Priority != best || q.QType != dns.TypeA {
				continue
			}
			ex.Trace.Steps = append(ex.Trace.Steps, policy.Step{Kind: policy.StepChose, Endpoint: e.ID, Detail: "lowest healthy priority"})
			for _, a := range e.A {
				ex.Answer = append(ex.Answer, fmt.Sprintf("%s\t%d\tIN\tA\t%s", s.Name, ttlOf(s.TTL), a))
			}
		}
	}
	return ex, nil
}

// Subscribe implements admin.Backend.
func (b *Backend) Subscribe(ctx context.Context) (<-chan admin.Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	return b.events.Subscribe(ctx.Done()), nil
}

// Ready implements admin.Backend.
func (b *Backend) Ready() (bool, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ready, b.degraded
}

// ErrBoom is an error the API has no status for: it answers 500.
var ErrBoom = errors.New("boom")

func ttlOf(t *uint32) uint32 {
	if t == nil {
		return config.DefaultServiceTTL
	}
	return *t
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func prefixString(p netip.Prefix) string {
	if !p.IsValid() {
		return ""
	}
	return p.String()
}
