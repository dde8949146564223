package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// backend is the admin API's view of the node. Before Start, and
// after Shutdown, what needs the store answers ErrUnavailable.
type backend struct {
	n *Node
}

var _ admin.Backend = backend{}

// running is the node's store once Start has opened it, until Shutdown.
func (b backend) running() (*cluster.Store, error) {
	if s := b.n.liveStore.Load(); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: the node is not running", admin.ErrUnavailable)
}

// store is running's store with ctx bounded for one call to it, so that
// an API call fails rather than hangs while etcd is away. Call cancel
// when done, whatever the error.
func (b backend) store(ctx context.Context) (*cluster.Store, context.Context, context.CancelFunc, error) {
	s, err := b.running()
	if err != nil {
		return nil, ctx, func() {}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	return s, ctx, cancel, nil
}

// storeErr maps a store failure to what the API reports.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return errors.Join(admin.ErrUnavailable, err)
	}
	return err
}

func (b backend) Config(ctx context.Context) (*config.Traffic, int64, error) {
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return nil, 0, err
	}
	t, rev, err := s.Traffic(ctx)
	if errors.Is(err, cluster.ErrNoDocument) {
		return nil, 0, admin.ErrNotFound
	}
	return t, rev, storeErr(err)
}

func (b backend) ApplyConfig(ctx context.Context, doc *config.Traffic, ifRevision int64, dryRun bool) (int64, error) {
	request := ctx
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return 0, err
	}
	if dryRun {
		// The document was validated when it was parsed; a dry run also
		// says whether If-Match still holds, for which the stored
		// document's revision is enough. It is not parsed: a refused one
		// (written straight into etcd) must not fail the dry run of the
		// document that would replace it.
		rev, err := s.TrafficRevision(ctx)
		if err != nil {
			return 0, storeErr(err)
		}
		if ifRevision > 0 && rev != ifRevision {
			return rev, admin.ErrRevisionMismatch
		}
		return rev, nil
	}
	if rev, same := storedIs(ctx, s, doc); same {
		if ifRevision > 0 && rev != ifRevision {
			return rev, admin.ErrRevisionMismatch
		}
		return rev, admin.ErrUnchanged
	}
	cond := cluster.AnyRevision
	if ifRevision > 0 {
		cond = ifRevision
	}
	if err := b.n.makeKeysFor(ctx, s, doc); err != nil {
		return 0, storeErr(err)
	}
	// The document's records go to the store by RRset: thousands of
	// them take more than one call's time.
	actx, acancel := context.WithTimeout(request, applyTimeout(doc))
	defer acancel()
	rev, err := s.ApplyTraffic(actx, doc, cond)
	var mismatch *cluster.RevisionMismatchError
	if errors.As(err, &mismatch) {
		return mismatch.Current, admin.ErrRevisionMismatch
	}
	if err != nil {
		return rev, storeErr(err)
	}
	b.audited(ctx, s, audit.ActionApply, "revision "+strconv.FormatInt(rev, 10), "")
	return rev, nil
}

// applyTimeout bounds the store's part of an apply: a store call's five
// seconds, and a second more for each 2,000 records the document states.
func applyTimeout(doc *config.Traffic) time.Duration {
	records := 0
	for _, z := range doc.Zones {
		records += len(z.Records)
	}
	return 5*time.Second + time.Duration(records/2000)*time.Second
}

func (b backend) InSync(_ context.Context, revision int64) ([]admin.MemberSync, error) {
	s, err := b.running()
	if err != nil {
		return nil, err
	}
	st := s.State()
	out := []admin.MemberSync{}
	for _, m := range st.Members {
		if m.ID == b.n.id {
			continue
		}
		out = append(out, admin.MemberSync{ID: m.ID, Revision: m.Revision, InSync: m.Revision >= revision})
	}
	// This node answers for itself from what it serves, not from its
	// member entry, which may be a moment behind or (a lease being
	// renewed) briefly absent.
	b.n.mu.Lock()
	self := b.n.revision
	b.n.mu.Unlock()
	out = append(out, admin.MemberSync{ID: b.n.id, Revision: self, InSync: self >= revision})
	slices.SortFunc(out, func(a, b admin.MemberSync) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (b backend) Health(context.Context) ([]admin.EndpointStatus, error) {
	n := b.n
	// Decoded before taking the node's lock: at thousands of checks the
	// other nodes' detail is large, and the run loop must not wait on it.
	n.mu.Lock()
	st := n.state
	n.mu.Unlock()
	details := peerDetails(st, n.id, n.log)

	n.mu.Lock()
	defer n.mu.Unlock()
	out := []admin.EndpointStatus{}
	if n.traffic == nil {
		return out, nil
	}
	counted := n.countedLocked()
	overrides := effectiveOverrides(n.traffic, n.state)
	for _, svc := range n.traffic.Services {
		for _, e := range svc.Endpoints {
			k := health.EndpointKey{Service: svc.Name, Endpoint: e.ID}
			es := n.endpoints[k]
			st := admin.EndpointStatus{Service: k.Service, Endpoint: k.Endpoint, Check: e.Check, Healthy: es.healthy, Since: es.since, Reason: es.reason}
			if o, ok := overrides[k]; ok {
				st.Override = &o
			}
			if e.Check != "" {
				st.Observations = n.votingLocked(e.Check, observations(counted, details, e.Check))
			}
			st.Target = n.targetStatus(e.Target)
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b admin.EndpointStatus) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Endpoint, b.Endpoint))
	})
	return out, nil
}

// peerDetails decodes the probe detail every other node has published; a
// node whose detail cannot be read is shown without it.
func peerDetails(st *cluster.State, self string, log *slog.Logger) map[string]map[string]cluster.Detail {
	out := map[string]map[string]cluster.Detail{}
	if st == nil {
		return out
	}
	for node := range st.Members {
		if node == self {
			continue
		}
		d, err := st.Details(node)
		if err != nil {
			log.Warn("unreadable probe detail in the cluster store", "err", err)
			continue
		}
		out[node] = d
	}
	return out
}

// observations lists each counted node's latest result for check, by
// node. Its latency, error and time come from the freshest source: this
// node's own scheduler for itself, the other nodes' published detail (or,
// from a node that still stores them with each result, the result).
func observations(counted map[string]map[string]health.Observation, details map[string]map[string]cluster.Detail, check string) []admin.Observation {
	var out []admin.Observation
	for node, obs := range counted {
		o, ok := obs[check]
		if !ok {
			continue
		}
		if d, ok := details[node][check]; ok && d.At.After(o.At) {
			o.Latency, o.Error, o.At = d.Latency, d.Error, d.At
		}
		ao := admin.Observation{Node: node, Healthy: o.Status.Healthy(), Status: o.Status.String(), Since: o.Since, Error: o.Error, At: o.At}
		if o.Latency > 0 {
			ao.Latency = o.Latency.String()
		}
		out = append(out, ao)
	}
	slices.SortFunc(out, func(a, b admin.Observation) int { return strings.Compare(a.Node, b.Node) })
	return out
}

// findEndpoint looks the endpoint up in the served document.
func (b backend) findEndpoint(service, endpoint string) error {
	b.n.mu.Lock()
	doc := b.n.traffic
	b.n.mu.Unlock()
	_, err := admin.FindEndpoint(doc, service, endpoint)
	return err
}

func (b backend) SetOverride(ctx context.Context, service, endpoint string, o health.Override) error {
	service = dns.CanonicalName(service)
	if err := b.findEndpoint(service, endpoint); err != nil {
		return err
	}
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	if err := s.SetOverride(ctx, service, endpoint, health.Override{State: o.State, Reason: o.Reason, At: b.n.now()}); err != nil {
		return storeErr(err)
	}
	b.audited(ctx, s, overrideAction(o), endpointTarget(service, endpoint), o.Reason)
	return nil
}

func (b backend) DeleteOverride(ctx context.Context, service, endpoint string) error {
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	service = dns.CanonicalName(service)
	found, err := s.DeleteOverride(ctx, service, endpoint)
	if err != nil {
		return storeErr(err)
	}
	if found {
		// Cleared, even if the endpoint has left the document since.
		b.audited(ctx, s, audit.ActionUndrain, endpointTarget(service, endpoint), "")
		return nil
	}
	if err := b.findEndpoint(service, endpoint); err != nil {
		return err
	}
	return fmt.Errorf("endpoint %s of service %s has no override: %w", endpoint, service, admin.ErrNoOverride)
}

func (b backend) SetExternal(ctx context.Context, check string, healthy bool, ttl time.Duration) error {
	b.n.mu.Lock()
	c := b.n.checks[check]
	b.n.mu.Unlock()
	switch {
	case c == nil:
		return admin.ErrNotFound
	case c.Type != config.CheckExternal:
		return admin.ErrNotExternal
	}
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	now := b.n.now()
	if err := s.SetExternal(ctx, check, health.External{Healthy: healthy, Expires: now.Add(ttl), At: now}); err != nil {
		return storeErr(err)
	}
	status := "healthy for " + ttl.String()
	if !healthy {
		status = "unhealthy for " + ttl.String()
	}
	b.audited(ctx, s, audit.ActionCheckStatus, check, status)
	return nil
}

func (b backend) Failover(_ context.Context, service string) (*admin.FailoverBound, error) {
	b.n.mu.Lock()
	doc := b.n.traffic
	b.n.mu.Unlock()
	return admin.NewFailoverBound(doc, service, b.n.failover.propagation())
}

func (b backend) Members(context.Context) ([]cluster.Member, error) {
	s, err := b.running()
	if err != nil {
		return nil, err
	}
	out := slices.Collect(maps.Values(s.State().Members))
	slices.SortFunc(out, func(a, b cluster.Member) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (b backend) Explain(_ context.Context, q admin.ExplainQuery) (*admin.Explanation, error) {
	ex := b.n.handler.Explain(q.Name, q.QType, q.Client, q.ECS)
	out := &admin.Explanation{
		Node: b.n.id, Name: dns.Fqdn(q.Name), Type: dns.TypeToString[q.QType],
		Rcode: dns.RcodeToString[ex.Response.Rcode], Answer: []string{},
		Scope: ex.Scope, Service: ex.Service, Trace: ex.Trace,
		Client: admin.ExplainClient{Address: q.Client.String(), Located: ex.Client.HasLoc},
	}
	if ex.Client.Addr.IsValid() {
		out.Client.Subnet = ex.Client.Addr.String() + "/" + strconv.Itoa(ex.Client.Bits)
	}
	if ex.Client.HasLoc {
		l := ex.Client.Loc
		out.Client.Country, out.Client.Subdivision, out.Client.Continent = l.Country, l.Subdivision, l.Continent
		if l.Network.IsValid() {
			out.Client.Network = l.Network.String()
		}
	}
	for _, rr := range ex.Response.Answer {
		out.Answer = append(out.Answer, rr.String())
	}
	for _, rr := range ex.Response.Ns {
		out.Authority = append(out.Authority, rr.String())
	}
	b.n.mu.Lock()
	reasons := make([]string, len(ex.Endpoints))
	for i, e := range ex.Endpoints {
		reasons[i] = b.n.endpoints[health.EndpointKey{Service: ex.Service, Endpoint: e.ID}].reason
	}
	b.n.mu.Unlock()
	for i, e := range ex.Endpoints {
		out.Endpoints = append(out.Endpoints, admin.ExplainEndpoint{ID: e.ID, Healthy: e.Healthy, Reason: reasons[i], Target: b.n.targetStatus(e.Target)})
	}
	out.DNSSEC = explainSigning(ex.Signing)
	return out, nil
}

func (b backend) Subscribe(ctx context.Context) (<-chan admin.Event, error) {
	return b.n.events.Subscribe(ctx.Done()), nil
}

func (b backend) Ready() (bool, string) { return b.n.Ready() }
