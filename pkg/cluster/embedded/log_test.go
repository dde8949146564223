package embedded

import (
	"errors"
	"io/fs"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/gtmd/gtmd/internal/testlog"
)

func TestEtcdLogThroughSlog(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk on fire")
	for _, c := range []struct {
		name    string
		level   slog.Level // of the slog handler
		closing bool
		log     func(*zap.Logger)
		want    map[string]any // nil: nothing written
	}{
		{"info is chatter, at debug", slog.LevelDebug, false, func(l *zap.Logger) { l.Info("elected leader", zap.Uint64("term", 3)) },
			map[string]any{"level": "DEBUG", "msg": "embedded etcd: elected leader", "term": float64(3)}},
		{"info is hidden at info", slog.LevelInfo, false, func(l *zap.Logger) { l.Info("elected leader") }, nil},
		{"warn stays warn", slog.LevelInfo, false, func(l *zap.Logger) {
			l.Warn("apply request took too long", zap.Duration("took", 1500*time.Millisecond))
		},
			map[string]any{"level": "WARN", "msg": "embedded etcd: apply request took too long", "took": float64(1.5e9)}},
		{"a warning that does not apply to one member on loopback", slog.LevelInfo, false, func(l *zap.Logger) { l.Warn("simple token is not cryptographically signed") }, nil},
		{"errors while closing are expected", slog.LevelInfo, true, func(l *zap.Logger) { l.Error("setting up serving from embedded etcd failed.", zap.Error(cause)) }, nil},
		{"error with its cause as err", slog.LevelInfo, false, func(l *zap.Logger) { l.Error("failed to publish", zap.Error(cause)) },
			map[string]any{"level": "ERROR", "msg": "embedded etcd: failed to publish", "err": "disk on fire"}},
		{"dpanic is an error, not a panic", slog.LevelInfo, false, func(l *zap.Logger) { l.DPanic("odd", zap.String("k", "v")) },
			map[string]any{"level": "ERROR", "msg": "embedded etcd: odd", "k": "v"}},
		{"logger name and context fields", slog.LevelInfo, false, func(l *zap.Logger) {
			l.Named("raft").With(zap.String("local-member-id", "8e9e")).Warn("slow")
		}, map[string]any{"level": "WARN", "msg": "embedded etcd: slow", "logger": "raft", "local-member-id": "8e9e"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf testlog.Buffer
			var closing atomic.Bool
			closing.Store(c.closing)
			lg := newEtcdLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: c.level})), func(f *Fault) { t.Errorf("fault %v", f) }, &closing)
			c.log(lg)
			recs := buf.Records(t)
			if c.want == nil {
				if len(recs) != 0 {
					t.Errorf("wrote %v, want nothing", recs)
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("wrote %d records, want 1: %v", len(recs), recs)
			}
			for k, v := range c.want {
				if recs[0][k] != v {
					t.Errorf("%s = %v, want %v (record %v)", k, recs[0][k], v, recs[0])
				}
			}
		})
	}
}

// TestEtcdFaultIsOneError: etcd's Fatal and Panic neither exit nor panic;
// they hand one Fault with the cause to report, write nothing else, and
// end the goroutine that raised them.
func TestEtcdFaultIsOneError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		raise   func(*zap.Logger)
		is      error
		message string
	}{
		{"purge at the descriptor limit", func(l *zap.Logger) {
			l.Fatal("failed to purge wal file", zap.Error(&fs.PathError{Op: "open", Path: "/d/member/wal", Err: syscall.EMFILE}))
		}, syscall.EMFILE, "embedded etcd: failed to purge wal file: open /d/member/wal: too many open files — out of file descriptors: raise the limit (ulimit -n, LimitNOFILE=)"},
		{"WAL on a full disk", func(l *zap.Logger) {
			l.Panic("failed to create WAL", zap.Error(&fs.PathError{Op: "write", Path: "/d/member/wal/0.tmp", Err: syscall.ENOSPC}), zap.String("dir", "/d"))
		}, syscall.ENOSPC, "embedded etcd: failed to create WAL (dir=/d): write /d/member/wal/0.tmp: no space left on device — the disk holding data_dir is full"},
		{"raft's sugar without a cause", func(l *zap.Logger) { l.Sugar().Fatalf("tocommit(%d) is out of range", 9) }, nil, "embedded etcd: tocommit(9) is out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf testlog.Buffer
			faults := make(chan *Fault, 2)
			lg := newEtcdLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), func(f *Fault) { faults <- f }, new(atomic.Bool))
			ended, carriedOn := make(chan struct{}), false
			go func() {
				defer close(ended)
				c.raise(lg)
				carriedOn = true
			}()
			<-ended
			if carriedOn {
				t.Error("the goroutine went on after Fatal or Panic")
			}
			if len(faults) != 1 {
				t.Fatalf("%d faults reported, want 1", len(faults))
			}
			f := <-faults
			if f.Error() != c.message {
				t.Errorf("fault %q, want %q", f.Error(), c.message)
			}
			if c.is != nil && !errors.Is(f, c.is) {
				t.Errorf("fault %v is not %v", f, c.is)
			}
			if recs := buf.Records(t); len(recs) != 0 {
				t.Errorf("wrote %v besides the fault", recs)
			}
		})
	}
}

// TestFaultReported: the first fault goes to Start while starting,
// then to OnFatal, or without it to the log and Err; later ones are
// dropped, since the first is what stopped etcd.
func TestFaultReported(t *testing.T) {
	t.Parallel()
	first, second := &Fault{Message: "failed to commit tx", Err: syscall.ENOSPC}, &Fault{Message: "failed to purge wal file"}
	for _, c := range []struct {
		name                         string
		started, onFatal             bool
		wantFatal, wantErr, wantLogs int
	}{
		{"while starting", false, true, 0, 0, 0},
		{"running, with OnFatal", true, true, 1, 0, 0},
		{"running, without OnFatal", true, false, 0, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf testlog.Buffer
			fatals := 0
			e := &Etcd{log: slog.New(slog.NewJSONHandler(&buf, nil)), dead: make(chan struct{}), errc: make(chan error, 1)}
			if c.onFatal {
				e.onFatal = func(err error) {
					fatals++
					if err != first {
						t.Errorf("OnFatal(%v), want the first fault", err)
					}
				}
			}
			e.started.Store(c.started)
			e.report(first)
			e.report(second)
			select {
			case <-e.dead:
			default:
				t.Error("dead not closed")
			}
			if got := e.fault.Load(); got != first {
				t.Errorf("fault %v, want the first", got)
			}
			if fatals != c.wantFatal {
				t.Errorf("OnFatal called %d times, want %d", fatals, c.wantFatal)
			}
			if len(e.errc) != c.wantErr {
				t.Errorf("%d errors on Err, want %d", len(e.errc), c.wantErr)
			}
			if recs := buf.Records(t); len(recs) != c.wantLogs {
				t.Errorf("logged %v, want %d records", recs, c.wantLogs)
			}
		})
	}
}
