package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gtmd/gtmd/pkg/health"
)

// SetRegionOverride stores an operator override of a whole region: one
// key, which every node's watch applies to each endpoint of the region.
func (s *Store) SetRegionOverride(ctx context.Context, region string, o health.Override) error {
	b, _ := json.Marshal(o)
	if _, err := s.client.Put(ctx, s.keys.region(region), string(b)); err != nil {
		return fmt.Errorf("storing the override of region %s: %w", region, err)
	}
	return nil
}

// DeleteRegionOverride clears a region's override; it reports whether
// there was one.
func (s *Store) DeleteRegionOverride(ctx context.Context, region string) (bool, error) {
	resp, err := s.client.Delete(ctx, s.keys.region(region))
	if err != nil {
		return false, fmt.Errorf("clearing the override of region %s: %w", region, err)
	}
	return resp.Deleted > 0, nil
}
