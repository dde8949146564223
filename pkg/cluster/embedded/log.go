package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Fault is what stopped the embedded etcd: a fatal error or a panic it
// raised (a full disk, a failed WAL write, too many open files). etcd
// would exit the process or panic with a stack; gtmd turns it into one
// error that says what failed and why.
type Fault struct {
	// Message is etcd's account of what failed, e.g. "failed to create
	// WAL"; Detail holds the other fields it gave, "" for none.
	Message, Detail string
	// Err is the cause, nil when etcd gave none.
	Err error
}

// Error is the one line an operator reads: what failed, the cause, and
// what a full disk or a descriptor limit means for them.
func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("embedded etcd: ")
	b.WriteString(f.Message)
	if f.Detail != "" {
		b.WriteString(" (" + f.Detail + ")")
	}
	if f.Err != nil {
		b.WriteString(": " + f.Err.Error())
	}
	switch {
	case errors.Is(f.Err, syscall.ENOSPC):
		b.WriteString(" — the disk holding data_dir is full")
	case errors.Is(f.Err, syscall.EMFILE), errors.Is(f.Err, syscall.ENFILE):
		b.WriteString(" — out of file descriptors: raise the limit (ulimit -n, LimitNOFILE=)")
	}
	return b.String()
}

// Unwrap lets errors.Is find the cause (syscall.ENOSPC, syscall.EMFILE).
func (f *Fault) Unwrap() error { return f.Err }

// newEtcdLogger is the zap logger the embedded etcd writes to: entries go
// to log (etcd's info, which it has a lot of, at debug), and a fatal
// error or panic goes, instead of os.Exit or a panic, to report as a
// *Fault, after which the goroutine that raised it ends: the code after
// etcd's Fatal or Panic call must not run. Once closing is set, etcd's
// errors about its listeners closing are expected, and go at debug.
func newEtcdLogger(log *slog.Logger, report func(*Fault), closing *atomic.Bool) *zap.Logger {
	h := faultHook(report)
	return zap.New(&slogCore{log: log, closing: closing, repeats: newRepeatGate(time.Now)}, zap.WithFatalHook(h), zap.WithPanicHook(h))
}

// faultHook reports a fatal entry and ends its goroutine.
type faultHook func(*Fault)

func (h faultHook) OnWrite(ce *zapcore.CheckedEntry, fields []zapcore.Field) {
	h(faultOf(ce.Message, fields))
	runtime.Goexit()
}

// faultOf builds the Fault of a fatal entry from its message and fields.
func faultOf(msg string, fields []zapcore.Field) *Fault {
	f := &Fault{Message: msg}
	var rest []zapcore.Field
	for _, fd := range fields {
		if err, ok := fd.Interface.(error); ok && fd.Type == zapcore.ErrorType && f.Err == nil {
			f.Err = err
			continue
		}
		rest = append(rest, fd)
	}
	var parts []string
	for _, a := range attrsOf(rest) {
		parts = append(parts, fmt.Sprintf("%s=%v", a.Key, a.Value))
	}
	f.Detail = strings.Join(parts, " ")
	return f
}

// slogCore is a zapcore.Core writing to a slog.Logger. It leaves fatal
// and panic entries to faultHook, which reports them once.
type slogCore struct {
	log     *slog.Logger
	closing *atomic.Bool
	// repeats limits each warning and error to one line per window.
	repeats *repeatGate
}

var _ zapcore.Core = (*slogCore)(nil)

// slogLevel maps etcd's levels: its info is routine chatter (elections,
// snapshots, compactions), so it shows at debug.
func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.InfoLevel:
		return slog.LevelDebug
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

// entryLevel is slogLevel, except while closing and for warnings etcd gives on every start
// that do not apply to one member on loopback: a single port for HTTP
// and gRPC, and simple tokens (not signed, but never shared with another
// member).
func (c *slogCore) entryLevel(e zapcore.Entry) slog.Level {
	if c.closing.Load() {
		return slog.LevelDebug
	}
	if e.Level == zapcore.WarnLevel && (strings.HasPrefix(e.Message, "Running http and grpc server on single port") || e.Message == "simple token is not cryptographically signed") {
		return slog.LevelDebug
	}
	return slogLevel(e.Level)
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return c.log.Enabled(context.Background(), slogLevel(l))
}

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	args := make([]any, 0, len(fields))
	for _, a := range attrsOf(fields) {
		args = append(args, a)
	}
	return &slogCore{log: c.log.With(args...), closing: c.closing, repeats: c.repeats}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Level >= zapcore.PanicLevel || !c.log.Enabled(context.Background(), c.entryLevel(e)) {
		return ce
	}
	return ce.AddCore(e, c)
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	level := c.entryLevel(e)
	var dropped int
	if level >= slog.LevelWarn {
		var ok bool
		if ok, dropped = c.repeats.pass(e.Message); !ok {
			return nil
		}
	}
	attrs := attrsOf(fields)
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	if dropped > 0 {
		attrs = append(attrs, slog.Int("repeated", dropped))
	}
	c.log.LogAttrs(context.Background(), level, "embedded etcd: "+e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

// attrsOf converts zap fields to slog attributes, keeping their order;
// zap's "error" key becomes gtmd's "err".
func attrsOf(fields []zapcore.Field) []slog.Attr {
	out := make([]slog.Attr, 0, len(fields))
	for _, f := range fields {
		enc := zapcore.NewMapObjectEncoder()
		f.AddTo(enc)
		for _, k := range slices.Sorted(maps.Keys(enc.Fields)) {
			v := enc.Fields[k]
			if k == "error" {
				k = "err"
			}
			out = append(out, slog.Any(k, v))
		}
	}
	return out
}
