package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/gtmd/gtmd/pkg/cluster/embedded"
)

// alarmGauge reads gtmd_cluster_store_alarm{alarm} from reg.
func alarmGauge(reg *prometheus.Registry, alarm string) error {
	return testutil.GatherAndCompare(reg, strings.NewReader(fmt.Sprintf(`
# HELP gtmd_cluster_store_alarm 1 while etcd has raised the alarm (nospace: database quota reached; corrupt: members disagree), which makes it refuse writes.
# TYPE gtmd_cluster_store_alarm gauge
gtmd_cluster_store_alarm{alarm="corrupt"} 0
gtmd_cluster_store_alarm{alarm="nospace"} %s
`, alarm)), "gtmd_cluster_store_alarm")
}

// countLogs counts the records holding every part.
func countLogs(l *logs, parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if containsAll(line, parts) {
			n++
		}
	}
	return n
}

// TestNoSpaceAlarm fills an embedded store with a small quota until etcd
// raises NOSPACE: a store that can recover it reports it in Degraded, the
// metric and one log line, then frees the space so writes work again; a
// store of an external etcd tells the operator what to run.
func TestNoSpaceAlarm(t *testing.T) {
	t.Parallel()
	e, _ := startEmbedded(t, filepath.Join(t.TempDir(), "etcd"), nil, func(o *embedded.Options) { o.Upkeep.QuotaBytes = 2 << 20 })
	t.Cleanup(e.Close)
	eps := e.Endpoints()

	release := make(chan struct{})
	reg := prometheus.NewRegistry()
	self := openNode(t, eps, "self", withCredentials(e), func(o *Options) {
		o.AlarmInterval, o.Registerer = 100*time.Millisecond, reg
		// Held until the test has seen the alarm reported.
		o.Recover = func(ctx context.Context) error {
			select {
			case <-release:
				return e.Recover(ctx)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	external := openNode(t, eps, "external", withCredentials(e), func(o *Options) { o.AlarmInterval = 100 * time.Millisecond })
	if err := alarmGauge(reg, "0"); err != nil {
		eventuallyNil(t, 5*time.Second, "the alarm gauge at 0", func() error { return alarmGauge(reg, "0") })
	}

	user, pw := e.Credentials()
	cli, err := rawClient(t, eps, user, pw)
	if err != nil {
		t.Fatal(err)
	}
	value := strings.Repeat("x", 100<<10)
	var putErr error
	for i := 0; i < 200 && putErr == nil; i++ {
		_, putErr = cli.Put(ctxT(t), testPrefix+"filler", value)
	}
	if !errors.Is(putErr, rpctypes.ErrNoSpace) {
		t.Fatalf("filling a 2 MiB store: %v, want NOSPACE", putErr)
	}

	eventually(t, 5*time.Second, func() bool { return strings.Contains(self.Degraded(), "NOSPACE") }, "self degraded by NOSPACE: %q", lazy(self.Degraded))
	if d := self.Degraded(); !strings.Contains(d, "gtmd compacts and defragments") {
		t.Errorf("self degraded %q, want it to say gtmd recovers", d)
	}
	eventually(t, 5*time.Second, func() bool { return strings.Contains(external.Degraded(), "etcdctl compact") }, "external degraded with the commands to run: %q", lazy(external.Degraded))
	if err := alarmGauge(reg, "1"); err != nil {
		t.Error(err)
	}
	if _, err := self.ApplyTraffic(ctxT(t), loadTraffic(t), AnyRevision); !errors.Is(err, rpctypes.ErrNoSpace) {
		t.Errorf("apply during the alarm: %v, want NOSPACE", err)
	}
	if !self.Connected() {
		t.Error("an alarm made the store count as unreachable")
	}

	close(release)
	eventually(t, 10*time.Second, func() bool { return self.Degraded() == "" && external.Degraded() == "" }, "the alarm cleared: %q / %q", lazy(self.Degraded), lazy(external.Degraded))
	if _, err := self.ApplyTraffic(ctxT(t), loadTraffic(t), AnyRevision); err != nil {
		t.Errorf("apply after recovery: %v", err)
	}
	if _, err := cli.Put(ctxT(t), testPrefix+"filler", value); err != nil {
		t.Errorf("write after recovery: %v", err)
	}
	if err := alarmGauge(reg, "0"); err != nil {
		t.Error(err)
	}
	self.logs.wait(t, time.Second, "alarm cleared")
	if n := countLogs(self.logs, "cluster store alarm reason=", "NOSPACE"); n != 1 {
		t.Errorf("the alarm was logged %d times, want once", n)
	}
}
