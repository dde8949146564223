package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// etcd keeps every revision of every key until it is compacted. The
// embedded store compacts itself (embedded.Upkeep); an external etcd
// started without --auto-compaction-retention keeps all of it, and every
// heartbeat and status change adds to a database that ends in a NOSPACE
// alarm, when writes stop. The store looks at start and every
// Options.HistoryInterval whether revisions older than
// Options.HistoryLimit can still be read, and says so in Degraded and
// once in the log, long before the quota is reached.

// historyRetry is how soon a check that could not reach etcd is tried
// again.
const historyRetry = 10 * time.Second

// historyLoop checks etcd's history at start and every HistoryInterval.
func (s *Store) historyLoop() {
	defer s.wg.Done()
	for {
		next := s.opts.HistoryInterval
		if err := s.checkHistory(); err != nil {
			// An unreachable store is the probe's to report.
			s.log.Debug("checking whether the cluster store compacts its history", "err", err)
			next = min(next, historyRetry)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(next):
		}
	}
}

// checkHistory reads at HistoryLimit revisions before the current one: a
// compacted store refuses (ErrCompacted), one that keeps its whole
// history answers.
func (s *Store) checkHistory() error {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	resp, err := s.client.Get(ctx, s.keys.traffic(), clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("reading the current revision: %w", err)
	}
	current := resp.Header.Revision
	if current <= s.opts.HistoryLimit {
		s.setHistory("")
		return nil
	}
	old := current - s.opts.HistoryLimit
	_, err = s.client.Get(ctx, s.keys.traffic(), clientv3.WithCountOnly(), clientv3.WithRev(old))
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		s.setHistory("")
		return nil
	case err != nil:
		return fmt.Errorf("reading revision %d: %w", old, err)
	}
	s.setHistory(fmt.Sprintf("the etcd at %v keeps more than %d revisions of history (revision %d of %d is still readable): run it with --auto-compaction-retention=1h, or it runs out of space and refuses writes", s.opts.Endpoints, s.opts.HistoryLimit, old, current))
	return nil
}

// setHistory records why etcd's history is a danger ("" for none),
// logging only when that starts or ends, not every check.
func (s *Store) setHistory(reason string) {
	var p *string
	if reason != "" {
		p = &reason
	}
	prev := s.history.Swap(p)
	s.metrics.historyUncompacted.Set(boolGauge(p != nil))
	switch {
	case prev == nil && p != nil:
		s.log.Warn("cluster store history is not compacted", "reason", reason)
	case prev != nil && p == nil:
		s.log.Info("cluster store history is compacted again")
	}
}
