package healthtest_test

import (
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/health/healthtest"
)

func TestFakeClock(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := healthtest.NewFakeClock(start)
	now := c.NewTimer(0)
	select {
	case <-now.C():
	default:
		t.Error("a zero timer did not fire at once")
	}
	late, early, stopped := c.NewTimer(2*time.Second), c.NewTimer(time.Second), c.NewTimer(time.Second)
	if c.Pending() != 3 {
		t.Fatalf("pending %d", c.Pending())
	}
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop reports wrongly")
	}
	c.BlockUntil(2)
	c.Advance(time.Second - 1)
	if c.Pending() != 2 {
		t.Error("a timer fired early")
	}
	c.Advance(1)
	if got := <-early.C(); !got.Equal(start.Add(time.Second)) {
		t.Errorf("fired with %v", got)
	}
	select {
	case <-late.C():
		t.Error("late timer fired")
	case <-stopped.C():
		t.Error("stopped timer fired")
	default:
	}
	c.Advance(time.Hour)
	<-late.C()
	if c.Pending() != 0 || !c.Now().Equal(start.Add(time.Hour+time.Second)) {
		t.Errorf("pending %d at %v", c.Pending(), c.Now())
	}
	if late.Stop() {
		t.Error("Stop of a fired timer reports true")
	}
}
