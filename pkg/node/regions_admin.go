package node

import (
	"context"
	"fmt"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/health"
)

var _ admin.OperatorBackend = backend{}

// findRegion checks that an endpoint of the served document is in
// region; see admin.FindRegion.
func (b backend) findRegion(region string) error {
	b.n.mu.Lock()
	doc := b.n.traffic
	b.n.mu.Unlock()
	return admin.FindRegion(doc, region)
}

func (b backend) SetRegionOverride(ctx context.Context, region string, o health.Override) error {
	if err := b.findRegion(region); err != nil {
		return err
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
		if err := b.findRegion(region); err != nil {
			return err
		}
		return fmt.Errorf("region %s has no override: %w", region, admin.ErrNoOverride)
	}
	// Cleared, even if the region has left the document since.
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
