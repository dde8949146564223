package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/health"
)

// Observe records this node's latest result for a check. The store keeps
// its status and since-when, and writes them under the node's lease when
// they differ from what is stored: a first result or a status change.
// Its latency, error and time go with SetDetails.
func (s *Store) Observe(check string, o health.Observation) {
	s.mu.Lock()
	s.observed[check] = storedObservation{Status: o.Status, Since: o.Since.Round(0)}
	s.mu.Unlock()
	s.wake()
}

// storedObservation is what the store holds of a node's result: what
// other nodes need to decide, which changes only with the status. It
// decodes as a health.Observation.
type storedObservation struct {
	Status health.Status `json:"status"`
	Since  time.Time     `json:"since,omitzero"`
}

func (o storedObservation) equal(p storedObservation) bool {
	return o.Status == p.Status && o.Since.Equal(p.Since)
}

// Forget removes this node's result for a check that no longer exists.
func (s *Store) Forget(check string) {
	s.mu.Lock()
	delete(s.observed, check)
	s.mu.Unlock()
	s.wake()
}

// SetServing records the traffic document revision this node answers
// from, published in its member entry.
func (s *Store) SetServing(revision int64) {
	s.mu.Lock()
	s.self.Revision = revision
	s.mu.Unlock()
	s.metrics.revision.Set(float64(revision))
	s.wake()
}

func (s *Store) wake() {
	select {
	case s.publishWake <- struct{}{}:
	default:
	}
}

// sessionLoop holds the node's lease: it grants one, keeps it alive,
// writes the member entry and the observations under it, and starts over
// with a new lease when the old one is lost (etcd away longer than the
// TTL, say), writing everything again.
func (s *Store) sessionLoop() {
	defer s.wg.Done()
	for attempt := 0; ; attempt++ {
		err := s.session()
		if s.isClosing(err) {
			return
		}
		s.log.Debug("cluster session ended; starting a new lease", "err", err)
		if !s.backoff(attempt) {
			return
		}
	}
}

func (s *Store) session() error {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	lease, err := s.client.Grant(ctx, int64(max(s.opts.LeaseTTL/time.Second, 1)))
	cancel()
	if err != nil {
		return fmt.Errorf("granting a lease: %w", err)
	}
	kctx, kcancel := context.WithCancel(s.ctx)
	defer kcancel()
	ka, err := s.client.KeepAlive(kctx, lease.ID)
	if err != nil {
		return fmt.Errorf("keeping the lease alive: %w", err)
	}
	s.mu.Lock()
	s.lease = lease.ID
	s.written = map[string]storedObservation{}
	s.details.written, s.details.writtenAt = nil, time.Time{}
	s.mu.Unlock()
	heartbeat := time.NewTicker(s.opts.HeartbeatInterval)
	defer heartbeat.Stop()
	memberDue := true
	for {
		// Drain the keep-alive responses (one per renewal, buffered) to
		// see a lost lease first: the channel closes only after them, and
		// while etcd is away each flush waits out its timeout.
	drain:
		for {
			select {
			case _, ok := <-ka:
				if !ok {
					return errors.New("lease lost")
				}
			default:
				break drain
			}
		}
		// A failed write is tried again soon, so results made while etcd
		// was away reach it as soon as it is back.
		var retry, details <-chan time.Time
		if err := s.flush(lease.ID, memberDue); err != nil {
			s.log.Debug("writing to the cluster store", "err", err)
			retry = time.After(250 * time.Millisecond)
		} else {
			memberDue = false
			// The detail waits for the statuses: while etcd fails
			// them, it would only hold up their next try.
			if wait := s.flushDetails(lease.ID); wait > 0 {
				details = time.After(wait)
			}
		}
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case <-retry:
		case <-details:
		case _, ok := <-ka:
			if !ok {
				return errors.New("lease lost")
			}
			continue
		case <-s.publishWake:
		case <-heartbeat.C:
			memberDue = true
		}
	}
}

// flush writes the member entry (when due) and every observation that
// differs from what the store holds under the lease.
func (s *Store) flush(lease clientv3.LeaseID, member bool) error {
	s.mu.Lock()
	self := s.self
	// The member entry is written at the heartbeat and when the revision
	// it serves moves, not with every observation.
	member = member || self.Revision != s.writtenRevision
	var puts, dels []string
	vals := map[string]storedObservation{}
	for check, o := range s.observed {
		if w, ok := s.written[check]; !ok || !w.equal(o) {
			puts = append(puts, check)
			vals[check] = o
		}
	}
	for check := range s.written {
		if _, ok := s.observed[check]; !ok {
			dels = append(dels, check)
		}
	}
	s.mu.Unlock()
	if !member && len(puts) == 0 && len(dels) == 0 {
		return nil
	}
	ops := make([]clientv3.Op, 0, 1+len(puts)+len(dels))
	if member {
		self.LastSeen = s.now()
		b, _ := json.Marshal(self)
		ops = append(ops, clientv3.OpPut(s.keys.member(self.ID), string(b), clientv3.WithLease(lease)))
	}
	for _, check := range puts {
		b, _ := json.Marshal(vals[check])
		ops = append(ops, clientv3.OpPut(s.keys.observation(self.ID, check), string(b), clientv3.WithLease(lease)))
	}
	for _, check := range dels {
		ops = append(ops, clientv3.OpDelete(s.keys.observation(self.ID, check)))
	}
	ctx, cancel := context.WithTimeout(s.ctx, 3*time.Second)
	defer cancel()
	// One transaction, so the batch lands whole; etcd caps operations per
	// transaction (128 by default), hence the chunks.
	for len(ops) > 0 {
		n := min(len(ops), 100)
		if _, err := s.client.Txn(ctx).Then(ops[:n]...).Commit(); err != nil {
			return err
		}
		ops = ops[n:]
	}
	s.mu.Lock()
	if s.lease == lease {
		if member {
			s.writtenRevision = self.Revision
		}
		for _, check := range puts {
			s.written[check] = vals[check]
		}
		for _, check := range dels {
			delete(s.written, check)
		}
	}
	s.mu.Unlock()
	return nil
}
