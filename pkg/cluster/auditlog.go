package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/cluster/audit"
)

// AppendAudit stores one audit entry under <prefix>audit/, then trims
// the trail to the newest Options.AuditKeep entries. Keys sort by time
// (nanoseconds, zero-padded), then by the writing node and its count,
// so "newest" is the largest key.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) error {
	if e.When.IsZero() {
		e.When = s.now()
	}
	e.When = e.When.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding the audit entry: %w", err)
	}
	// The store's own count keeps apart two entries of one node in the
	// same nanosecond (a clock that stands still in tests).
	key := fmt.Sprintf("%s%020d-%s-%010d", s.keys.auditDir(), e.When.UnixNano(), s.opts.Self.ID, s.auditSeq.Add(1))
	if _, err := s.client.Put(ctx, key, string(b)); err != nil {
		return fmt.Errorf("storing the audit entry of %s %s: %w", e.Action, e.Target, err)
	}
	return s.trimAudit(ctx)
}

// trimAudit deletes the oldest entries past the kept number.
func (s *Store) trimAudit(ctx context.Context) error {
	dir := s.keys.auditDir()
	count, err := s.client.Get(ctx, dir, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("counting the audit entries: %w", err)
	}
	excess := count.Count - int64(s.auditKeep())
	if excess <= 0 {
		return nil
	}
	old, err := s.client.Get(ctx, dir, clientv3.WithPrefix(), clientv3.WithKeysOnly(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend), clientv3.WithLimit(excess))
	if err != nil {
		return fmt.Errorf("listing the oldest audit entries: %w", err)
	}
	if len(old.Kvs) == 0 {
		return nil
	}
	first, last := string(old.Kvs[0].Key), string(old.Kvs[len(old.Kvs)-1].Key)
	if _, err := s.client.Delete(ctx, first, clientv3.WithRange(last+"\x00")); err != nil {
		return fmt.Errorf("trimming the audit trail: %w", err)
	}
	return nil
}

// Audit returns the newest limit entries (all kept when limit <= 0),
// oldest first. An entry that cannot be read is skipped and logged.
func (s *Store) Audit(ctx context.Context, limit int) ([]audit.Entry, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(int64(limit)))
	}
	resp, err := s.client.Get(ctx, s.keys.auditDir(), opts...)
	if err != nil {
		return nil, fmt.Errorf("reading the audit trail: %w", err)
	}
	out := make([]audit.Entry, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var e audit.Entry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			s.log.Warn("unreadable audit entry in the cluster store", "key", string(kv.Key), "err", err)
			continue
		}
		out = append(out, e)
	}
	slices.Reverse(out)
	return out, nil
}

func (s *Store) auditKeep() int {
	if s.opts.AuditKeep > 0 {
		return s.opts.AuditKeep
	}
	return audit.DefaultKeep
}
