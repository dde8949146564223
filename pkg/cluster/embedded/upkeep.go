package embedded

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Upkeep keeps the embedded etcd's database small (every apply
// adds the document to etcd's history; without compaction and
// defragmentation the quota is reached after a few thousand).
type Upkeep struct {
	// KeepRevisions is the history auto-compaction keeps (default 10000).
	KeepRevisions int
	// DefragInterval is how often the database file is defragmented
	// (default 1h).
	DefragInterval time.Duration
	// QuotaBytes is the database size at which etcd refuses writes with
	// a NOSPACE alarm (default 2 GiB).
	QuotaBytes int64
}

// withDefaults fills in what the node file left zero.
func (u Upkeep) withDefaults() Upkeep {
	if u.KeepRevisions <= 0 {
		u.KeepRevisions = 10000
	}
	if u.DefragInterval <= 0 {
		u.DefragInterval = time.Hour
	}
	if u.QuotaBytes <= 0 {
		u.QuotaBytes = 2 << 30
	}
	return u
}

// Compaction is etcd's own (revision mode, Upkeep.KeepRevisions); it
// drops old revisions from the index but leaves the database file as
// large as it ever was, which only defragmentation shrinks.

// defragTimeout bounds one defragmentation; the member answers nothing
// meanwhile, which takes milliseconds for gtmd's few keys.
const defragTimeout = time.Minute

// defragLoop defragments the database every Upkeep.DefragInterval.
func (e *Etcd) defragLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.upkeep.DefragInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), defragTimeout)
		before, after, err := e.defragment(ctx)
		cancel()
		if err != nil {
			e.log.Warn("embedded etcd: defragmentation failed; trying again at the next interval", "err", err, "interval", e.upkeep.DefragInterval)
			continue
		}
		e.log.Debug("embedded etcd defragmented", "db_bytes_before", before, "db_bytes_after", after)
	}
}

// defragment rewrites the database file without its free pages and
// returns its size before and after.
func (e *Etcd) defragment(ctx context.Context) (before, after int64, err error) {
	st, err := e.client.Status(ctx, e.clientURL)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the embedded etcd's status: %w", err)
	}
	if _, err := e.client.Defragment(ctx, e.clientURL); err != nil {
		return st.DbSize, 0, fmt.Errorf("defragmenting the embedded etcd: %w", err)
	}
	st2, err := e.client.Status(ctx, e.clientURL)
	if err != nil {
		return st.DbSize, 0, fmt.Errorf("reading the embedded etcd's status: %w", err)
	}
	return st.DbSize, st2.DbSize, nil
}

// Recover frees the embedded store after a NOSPACE alarm, as an operator
// would with etcdctl: it compacts away all history, defragments and
// disarms the alarm. Writes are accepted again if the current data fit
// in the quota; if they do not, etcd raises the alarm again.
func (e *Etcd) Recover(ctx context.Context) error {
	resp, err := e.client.Get(ctx, "/", clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("reading the embedded etcd's revision: %w", err)
	}
	if _, err := e.client.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		return fmt.Errorf("compacting the embedded etcd to revision %d: %w", resp.Header.Revision, err)
	}
	before, after, err := e.defragment(ctx)
	if err != nil {
		return err
	}
	alarms, err := e.client.AlarmList(ctx)
	if err != nil {
		return fmt.Errorf("listing the embedded etcd's alarms: %w", err)
	}
	for _, a := range alarms.Alarms {
		if a.Alarm != pb.AlarmType_NOSPACE {
			continue
		}
		if _, err := e.client.AlarmDisarm(ctx, (*clientv3.AlarmMember)(a)); err != nil {
			return fmt.Errorf("disarming the embedded etcd's NOSPACE alarm: %w", err)
		}
	}
	e.log.Info("embedded etcd: space freed after a NOSPACE alarm", "compacted_to", resp.Header.Revision, "db_bytes_before", before, "db_bytes_after", after)
	return nil
}
