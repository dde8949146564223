package node

import (
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCopiesPaced: after a copy that took a while to write, the next
// waits copyPacing times as long, and only the latest of those handed
// over meanwhile is written; once stopped, the latest is written at once.
func TestCopiesPaced(t *testing.T) {
	n := &Node{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var mu sync.Mutex
	var written []int64
	save := func(k kept) error {
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		written = append(written, k.Revision)
		mu.Unlock()
		return nil
	}
	writes := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(written)
	}
	saves, saved, stop := make(chan kept, 1), make(chan struct{}), make(chan struct{})
	go n.keepCopies(saves, saved, stop, save)
	// As update hands copies over: an unwritten one is taken back.
	hand := func(rev int64) {
		select {
		case <-saves:
		default:
		}
		saves <- kept{Revision: rev}
	}
	hand(1)
	time.Sleep(250 * time.Millisecond)
	hand(2)
	hand(3)
	// The pause after a 200 ms copy is 1.8 s: well within it.
	time.Sleep(500 * time.Millisecond)
	if got := writes(); !slices.Equal(got, []int64{1}) {
		t.Fatalf("written during the pause after a 200 ms copy: %v, want [1]", got)
	}
	close(stop)
	time.Sleep(600 * time.Millisecond)
	if got := writes(); !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("written once stopped: %v, want [1 3] (the latest at once)", got)
	}
	close(saves)
	select {
	case <-saved:
	case <-time.After(5 * time.Second):
		t.Fatal("keepCopies did not end after saves closed")
	}
}
