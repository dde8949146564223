package node

import (
	"context"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/health"
)

var _ admin.OperatorBackend = backend{}

// regionExists reports whether an endpoint of the served document is in
// region.
func (b backend) regionExists(region string) bool {
	b.n.mu.Lock()
	defer b.n.mu.Unlock()
	return len(regionEndpoints(b.n.traffic, region)) > 0
}

func (b backend) SetRegionOverride(ctx context.Context, region string, o health.Override) error {
	if !b.regionExists(region) {
		return admin.ErrNotFound
	}
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	if err := s.SetRegionOverride(ctx, region, health.Override{State: o.State, Reason: o.Reason, At: b.n.now()}); err != nil {
		return storeErr(err)
	}
	b.audited(ctx, s, overrideAction(o), audit.RegionTarget(region), o.Reason)
	return nil
}

func (b backend) DeleteRegionOverride(ctx context.Context, region string) error {
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	found, err := s.DeleteRegionOverride(ctx, region)
	if err != nil {
		return storeErr(err)
	}
	if !found {
		return admin.ErrNotFound
	}
	b.audited(ctx, s, audit.ActionUndrain, audit.RegionTarget(region), "")
	return nil
}

func (b backend) Audit(ctx context.Context, limit int) ([]audit.Entry, error) {
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return nil, err
	}
	out, err := s.Audit(ctx, limit)
	return out, storeErr(err)
}
