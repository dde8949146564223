package cluster

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TrafficRevision returns the revision of the stored traffic document,
// 0 when none is stored, without reading or parsing the document: a dry
// run needs only the revision to check If-Match against, and must answer
// while the stored document is one this node refuses, as an apply does.
func (s *Store) TrafficRevision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.keys.traffic(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, fmt.Errorf("reading the traffic document's revision: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return 0, nil
	}
	return resp.Kvs[0].ModRevision, nil
}
