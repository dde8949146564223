package dnstaplog

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// DefaultQueueSize is the records waiting to be written at most: at
// 100,000 queries a second, a tenth of a second of them.
const DefaultQueueSize = 8192

// Rand is the random source of sampling; it must be safe for concurrent
// use.
type Rand interface {
	// Float64 returns a number in [0, 1).
	Float64() float64
}

// Options are what a Logger is built with.
type Options struct {
	// Output receives the frames; the Logger closes it.
	Output Output
	// Sample is the share of queries logged, in (0, 1]; 0 means 1.
	Sample float64
	// Rand draws for sampling; nil is math/rand/v2's global source.
	Rand Rand
	// Identity and Version name the server in every message.
	Identity, Version string
	// QueueSize bounds the records waiting to be written; 0 is
	// DefaultQueueSize.
	QueueSize int
	// FlushInterval is how often buffered frames are written out at
	// least; 0 is one second.
	FlushInterval time.Duration
	// Registerer takes the logger's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger receives the output's failures; nil discards them.
	Logger *slog.Logger
}

// Logger is a resolver.QueryLog that writes dnstap. Take and Send never
// block; one goroutine encodes and writes.
type Logger struct {
	out      Output
	sample   float64
	rand     Rand
	identity []byte
	version  []byte
	flush    time.Duration
	log      *slog.Logger
	metrics  *metrics

	queue chan *resolver.LoggedQuery
	free  sync.Pool
	stop  chan struct{}
	done  chan struct{}
	// mu guards started, set by Start (or a Close before it); once
	// guards closing stop.
	mu      sync.Mutex
	started bool
	once    sync.Once
}

var _ resolver.QueryLog = (*Logger)(nil)

// New makes a Logger writing to opts.Output; it writes once Start is
// called. Records taken before wait in the queue.
func New(opts Options) (*Logger, error) {
	if opts.Output == nil {
		return nil, fmt.Errorf("starting the dnstap log: no output")
	}
	if opts.Sample == 0 {
		opts.Sample = 1
	}
	if !(opts.Sample > 0 && opts.Sample <= 1) {
		return nil, fmt.Errorf("starting the dnstap log: sample %v is not in (0, 1]", opts.Sample)
	}
	if opts.Rand == nil {
		opts.Rand = globalRand{}
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("starting the dnstap log: %w", err)
	}
	l := &Logger{
		out: opts.Output, sample: opts.Sample, rand: opts.Rand,
		identity: []byte(opts.Identity), version: []byte(opts.Version),
		flush: opts.FlushInterval, log: opts.Logger, metrics: m,
		queue: make(chan *resolver.LoggedQuery, opts.QueueSize),
		stop:  make(chan struct{}), done: make(chan struct{}),
	}
	l.free.New = func() any { return new(resolver.LoggedQuery) }
	return l, nil
}

// globalRand draws from math/rand/v2's goroutine-safe global source.
type globalRand struct{}

func (globalRand) Float64() float64 { return rand.Float64() }

// Take returns a record to fill, or nil when the query is sampled out or
// the queue is full (counted as dropped: its two messages).
func (l *Logger) Take() *resolver.LoggedQuery {
	if l.sample < 1 && l.rand.Float64() >= l.sample {
		return nil
	}
	if len(l.queue) == cap(l.queue) {
		l.metrics.dropped.Add(2)
		return nil
	}
	return l.free.Get().(*resolver.LoggedQuery)
}

// Send queues q for writing, or drops it when the queue filled since
// Take.
func (l *Logger) Send(q *resolver.LoggedQuery) {
	select {
	case l.queue <- q:
	default:
		l.metrics.dropped.Add(float64(messagesOf(q)))
		l.recycle(q)
	}
}

// recycle returns a record to the pool once written or dropped.
func (l *Logger) recycle(q *resolver.LoggedQuery) {
	q.Reset()
	l.free.Put(q)
}

// messagesOf is how many dnstap messages q makes: the query, and the
// answer when one was sent.
func messagesOf(q *resolver.LoggedQuery) int {
	if len(q.Response) == 0 {
		return 1
	}
	return 2
}

// Start starts the goroutine that writes; a second call does nothing,
// and so does a call after Close.
func (l *Logger) Start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return
	}
	l.started = true
	go l.run()
}

// Close writes what is queued, flushes and closes the output, waiting
// until ctx ends at most. Without Start it closes the output alone.
func (l *Logger) Close(ctx context.Context) error {
	l.mu.Lock()
	if !l.started {
		l.started = true
		l.mu.Unlock()
		l.once.Do(func() { close(l.stop) })
		close(l.done)
		if err := l.out.Close(); err != nil {
			return fmt.Errorf("closing the dnstap log: %w", err)
		}
		return nil
	}
	l.mu.Unlock()
	l.once.Do(func() { close(l.stop) })
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing the dnstap log: %w", ctx.Err())
	}
}

// run writes queued records until Close, flushing every interval.
func (l *Logger) run() {
	defer close(l.done)
	tick := time.NewTicker(l.flush)
	defer tick.Stop()
	var enc encoder
	for {
		select {
		case q := <-l.queue:
			l.write(&enc, q)
		case <-tick.C:
			l.flushOutput()
		case <-l.stop:
			l.drain(&enc)
			l.flushOutput()
			if err := l.out.Close(); err != nil {
				l.log.Warn("cannot close the dnstap output", "err", err)
			}
			return
		}
	}
}

// drain writes the records queued when Close was called.
func (l *Logger) drain(enc *encoder) {
	for range len(l.queue) {
		l.write(enc, <-l.queue)
	}
}

// write encodes q's messages and writes them, counting each sent or
// dropped.
func (l *Logger) write(enc *encoder, q *resolver.LoggedQuery) {
	frames, err := enc.encode(q, l.identity, l.version)
	if err != nil {
		l.metrics.dropped.Add(float64(messagesOf(q)))
		l.log.Warn("cannot encode a dnstap message", "err", err)
		l.recycle(q)
		return
	}
	l.recycle(q)
	for _, f := range frames {
		if err := l.out.WriteFrame(f); err != nil {
			l.metrics.dropped.Inc()
			continue
		}
		l.metrics.sent.Inc()
	}
}

// flushOutput writes buffered frames out.
func (l *Logger) flushOutput() {
	if err := l.out.Flush(); err != nil {
		l.log.Warn("cannot flush the dnstap output", "err", err)
	}
}
