package dnstaplog_test

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gtmd/gtmd/pkg/dnstaplog"
)

// stuckOutput holds its first frame until released: a collector that
// stopped reading.
type stuckOutput struct {
	release chan struct{}
	frames  int
}

func (o *stuckOutput) WriteFrame([]byte) error {
	if o.frames == 0 {
		<-o.release
	}
	o.frames++
	return nil
}
func (o *stuckOutput) Flush() error { return nil }
func (o *stuckOutput) Close() error { return nil }

// TestFullQueueDrops: with the writer stuck, every query is still
// answered; what does not fit the queue is dropped and counted, and
// every message ends up counted as sent or dropped.
func TestFullQueueDrops(t *testing.T) {
	out := &stuckOutput{release: make(chan struct{})}
	reg := prometheus.NewRegistry()
	l, err := dnstaplog.New(dnstaplog.Options{Output: out, QueueSize: 1, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	addr := serve(t, l)
	const n = 20
	for i := range n {
		network := "udp"
		if i%4 == 3 {
			network = "tcp"
		}
		// ask fails the test when an answer does not come.
		ask(t, addr, network, "www.gtm.test.", dns.TypeA, uint16(i))
	}
	// At most one record is being written and one waits in the queue.
	if _, dropped := counts(t, reg); dropped < 2*(n-2) {
		t.Errorf("dropped %v messages with the writer stuck, want at least %d", dropped, 2*(n-2))
	}
	close(out.release)
	closeLog(t, l)
	sent, dropped := counts(t, reg)
	if sent+dropped != 2*n || sent < 2 || sent != float64(out.frames) {
		t.Errorf("sent %v (output saw %d) and dropped %v, want them to add up to %d with at least one query sent", sent, out.frames, dropped, 2*n)
	}
}
