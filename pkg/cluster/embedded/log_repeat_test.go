package embedded

import (
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/gtmd/gtmd/internal/testlog"
)

// A local process can make etcd warn once per request; the log shows one
// line per message and window, then says how many it held back.
func TestEtcdWarningsLimitedPerWindow(t *testing.T) {
	t.Parallel()
	var buf testlog.Buffer
	var closing atomic.Bool
	now := time.Unix(1_000_000, 0)
	lg := newEtcdLogger(slog.New(slog.NewJSONHandler(&buf, nil)), func(f *Fault) { t.Errorf("fault %v", f) }, &closing)
	core := lg.Core().(*slogCore)
	core.repeats.now = func() time.Time { return now }

	for i := 0; i < 1000; i++ {
		lg.Warn("failed to apply request", zap.String("err", "auth: user name is empty"))
	}
	lg.Warn("apply request took too long") // another message is not held back
	lg.Info("elected leader")              // debug, hidden, never counted
	now = now.Add(repeatWindow)
	lg.Warn("failed to apply request")
	lg.Warn("failed to apply request")

	recs := buf.Records(t)
	var msgs []string
	for _, r := range recs {
		msgs = append(msgs, r["msg"].(string))
	}
	want := []string{"embedded etcd: failed to apply request", "embedded etcd: apply request took too long", "embedded etcd: failed to apply request"}
	if len(msgs) != len(want) {
		t.Fatalf("logged %q, want %q", msgs, want)
	}
	for i := range want {
		if msgs[i] != want[i] {
			t.Fatalf("logged %q, want %q", msgs, want)
		}
	}
	if _, ok := recs[0]["repeated"]; ok {
		t.Errorf("first line says repeated: %v", recs[0])
	}
	if got := recs[2]["repeated"]; got != float64(999) {
		t.Errorf("line after the window says repeated=%v, want 999", got)
	}
}

func TestRepeatGateBounded(t *testing.T) {
	t.Parallel()
	g := newRepeatGate(func() time.Time { return time.Unix(0, 0) })
	for i := 0; i < 10*g.max; i++ {
		if ok, _ := g.pass(string(rune('a'+i%26)) + time.Duration(i).String()); !ok {
			t.Fatalf("a new message %d was held back", i)
		}
	}
	if len(g.seen) > g.max {
		t.Errorf("%d messages kept, max %d", len(g.seen), g.max)
	}
}
