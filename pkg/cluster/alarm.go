package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
)

// etcd raises alarms that make it refuse writes: NOSPACE when its
// database reaches the quota, CORRUPT when members disagree on their
// data. Reads go on, so the probe alone would never notice; the store
// lists the alarms on a timer, and at once when a write is refused for
// lack of space.

// recoverTimeout bounds one attempt of Options.Recover.
const recoverTimeout = 2 * time.Minute

// alarmLabels are the label values of gtmd_cluster_store_alarm, by alarm.
func alarmLabels() map[pb.AlarmType]string {
	return map[pb.AlarmType]string{pb.AlarmType_NOSPACE: "nospace", pb.AlarmType_CORRUPT: "corrupt"}
}

// noSpaceInterceptor wakes the alarm check when etcd refuses a request
// for lack of space.
func noSpaceInterceptor(wake chan<- struct{}) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err != nil && errors.Is(rpctypes.Error(err), rpctypes.ErrNoSpace) {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		return err
	}
}

// alarmLoop checks etcd's alarms every AlarmInterval and when woken.
func (s *Store) alarmLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.AlarmInterval)
	defer t.Stop()
	for {
		if s.checkAlarms() && s.opts.Recover != nil {
			s.recoverSpace()
			s.checkAlarms() // /readyz clears at once when it worked
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.alarmWake:
		}
	}
}

// checkAlarms lists etcd's alarms and reports a change; it returns
// whether a NOSPACE alarm is raised.
func (s *Store) checkAlarms() (nospace bool) {
	ctx, cancel := context.WithTimeout(s.ctx, max(s.opts.ProbeInterval, time.Second))
	resp, err := s.client.AlarmList(ctx)
	cancel()
	if err != nil {
		// An unreachable store is the probe's to report.
		return false
	}
	raised := map[pb.AlarmType]bool{}
	for _, a := range resp.Alarms {
		raised[a.Alarm] = true
	}
	for typ, name := range alarmLabels() {
		s.metrics.alarm.WithLabelValues(name).Set(boolGauge(raised[typ]))
	}
	var reason string
	switch {
	case raised[pb.AlarmType_NOSPACE] && s.opts.Recover != nil:
		reason = "etcd is out of space (NOSPACE alarm): writes are refused while gtmd compacts and defragments the embedded store"
	case raised[pb.AlarmType_NOSPACE]:
		reason = fmt.Sprintf("etcd is out of space (NOSPACE alarm): writes are refused until an operator runs `etcdctl compact %d && etcdctl defrag --cluster && etcdctl alarm disarm` (and raises --quota-backend-bytes if the data need it)", s.ProbeRevision())
	case raised[pb.AlarmType_CORRUPT]:
		reason = "etcd reports corrupted data (CORRUPT alarm): writes are refused until an operator restores the bad member and runs `etcdctl alarm disarm`"
	}
	s.setAlarm(reason)
	return raised[pb.AlarmType_NOSPACE]
}

// setAlarm records why etcd refuses writes ("" for no alarm), logging
// each change once.
func (s *Store) setAlarm(reason string) {
	var p *string
	if reason != "" {
		p = &reason
	}
	prev := s.alarm.Swap(p)
	switch {
	case prev == nil && p == nil, prev != nil && p != nil && *prev == reason:
	case p != nil:
		s.log.Error("cluster store alarm", "reason", reason, "endpoints", s.opts.Endpoints)
	default:
		s.log.Info("cluster store alarm cleared; writes are accepted again", "was", *prev)
	}
}

// recoverSpace runs Options.Recover. A store whose data do not fit
// raises the alarm again at the next write: the next try waits for the
// next check, so it is never compacted in a tight loop.
func (s *Store) recoverSpace() {
	ctx, cancel := context.WithTimeout(s.ctx, recoverTimeout)
	err := s.opts.Recover(ctx)
	cancel()
	if err != nil && s.ctx.Err() == nil {
		s.log.Error("freeing the cluster store after a NOSPACE alarm failed; trying again", "err", err, "in", s.opts.AlarmInterval)
	}
}
