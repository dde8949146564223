package testlog_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/gtmd/gtmd/internal/testlog"
)

// TestBufferConcurrent: records written from many goroutines arrive whole
// and in full (go test -race checks the locking).
func TestBufferConcurrent(t *testing.T) {
	var buf testlog.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				log.Info("hello", "writer", i)
				_ = buf.String()
			}
		}()
	}
	wg.Wait()
	if n := len(buf.Lines()); n != 400 {
		t.Errorf("%d lines, want 400", n)
	}
	recs := buf.Records(t)
	if len(recs) != 400 {
		t.Fatalf("%d records, want 400", len(recs))
	}
	if recs[0]["msg"] != "hello" {
		t.Errorf("first record %v, want msg hello", recs[0])
	}
}
