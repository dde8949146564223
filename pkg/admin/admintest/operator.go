package admintest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/health"
)

var _ admin.OperatorBackend = (*Backend)(nil)

// SetRegionOverride implements admin.OperatorBackend: it keeps the
// override and records the call, with the caller the API put in ctx, in
// the audit trail Audit returns.
func (b *Backend) SetRegionOverride(ctx context.Context, region string, o health.Override) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	if err := admin.FindRegion(b.doc, region); err != nil {
		return err
	}
	if b.regions == nil {
		b.regions = map[string]health.Override{}
	}
	b.regions[region] = o
	action := audit.ActionDrain
	if o.State == health.OverrideUp {
		action = audit.ActionForceUp
	}
	b.auditLocked(ctx, action, audit.RegionTarget(region))
	return nil
}

// DeleteRegionOverride implements admin.OperatorBackend.
func (b *Backend) DeleteRegionOverride(ctx context.Context, region string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	if _, ok := b.regions[region]; !ok {
		if err := admin.FindRegion(b.doc, region); err != nil {
			return err
		}
		return fmt.Errorf("region %s has no override: %w", region, admin.ErrNoOverride)
	}
	delete(b.regions, region)
	b.auditLocked(ctx, audit.ActionUndrain, audit.RegionTarget(region))
	return nil
}

// Audit implements admin.OperatorBackend.
func (b *Backend) Audit(_ context.Context, limit int) ([]audit.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	out := slices.Clone(b.audit)
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// RegionOverride returns the override of region, if any.
func (b *Backend) RegionOverride(region string) (health.Override, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.regions[region]
	return o, ok
}

func (b *Backend) auditLocked(ctx context.Context, action, target string) {
	c, _ := admin.CallerFrom(ctx)
	b.audit = append(b.audit, audit.Entry{Who: c.Name, When: time.Now().UTC(), From: c.From, Action: action, Target: target, Reason: c.Reason, Node: b.nodeID})
}
