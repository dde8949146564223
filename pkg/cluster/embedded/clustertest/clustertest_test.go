package clustertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestStartEtcdAndCompact(t *testing.T) {
	t.Parallel()
	eps := StartEtcd(t)
	cli := Client(t, eps)
	first, err := cli.Put(ctx(t), "k", "1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx(t), "k", "2"); err != nil {
		t.Fatal(err)
	}
	rev := Compact(t, eps)
	if rev <= first.Header.Revision {
		t.Errorf("compacted to %d, not past %d", rev, first.Header.Revision)
	}
	if _, err := cli.Get(ctx(t), "k", clientv3.WithRev(first.Header.Revision)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Errorf("reading a compacted revision: %v, want ErrCompacted", err)
	}
}

func TestClusterStopRestart(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3)
	if c.Size() != 3 || len(c.Endpoints()) != 3 {
		t.Fatalf("size %d, endpoints %v", c.Size(), c.Endpoints())
	}
	cli := Client(t, c.Endpoints())
	if _, err := cli.Put(ctx(t), "k", "before"); err != nil {
		t.Fatal(err)
	}
	leader := c.Leader()
	if leader < 0 {
		t.Fatal("no leader")
	}
	c.Stop(leader)
	// The others elect a leader and take writes.
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err = cli.Put(cctx, "k", "during")
		cancel()
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("writing with the leader stopped: %v", err)
	}
	if l := c.Leader(); l == leader || l < 0 {
		t.Errorf("leader %d after stopping %d", l, leader)
	}

	// The stopped member answers nothing.
	only := Client(t, []string{c.Endpoint(leader)})
	sctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = only.Get(sctx, "k", clientv3.WithSerializable())
	cancel()
	if err == nil {
		t.Error("a stopped member answered")
	}

	// Back, it has its data and catches up.
	c.Restart(leader)
	resp, err := only.Get(ctx(t), "k") // linearizable: the member is part of the cluster again
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "during" {
		t.Fatalf("restarted member: %v %v", resp, err)
	}
}

func TestProxyCut(t *testing.T) {
	t.Parallel()
	eps := StartEtcd(t)
	p := StartProxy(t, eps[0])
	cli := Client(t, []string{p.Endpoint()})
	if _, err := cli.Put(ctx(t), "k", "v"); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	cctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := cli.Get(cctx, "k")
	cancel()
	if err == nil {
		t.Error("read through a cut proxy")
	}
	p.Restore()
	if _, err := cli.Get(ctx(t), "k"); err != nil {
		t.Errorf("after Restore: %v", err)
	}
}
