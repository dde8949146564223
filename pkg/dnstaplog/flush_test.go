package dnstaplog_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	dnstap "github.com/dnstap/golang-dnstap"
	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/dnstaplog"
)

// TestFileFlushedWhileRunning: a running logger writes its messages out
// on its flush interval, without waiting for Close, so a reader of the
// file sees recent queries.
func TestFileFlushedWhileRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queries.dnstap")
	out, err := dnstaplog.NewFileOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := dnstaplog.New(dnstaplog.Options{Output: out, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l.Start()
	defer closeLog(t, l)
	addr := serve(t, l)
	ask(t, addr, "udp", "www.gtm.test.", dns.TypeA, 1)
	waitFor(t, "both messages in the file", func() bool { return framesIn(t, path) == 2 })
}

// framesIn counts the whole frames written to path so far.
func framesIn(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := dnstap.NewReader(f, nil)
	if err != nil {
		// Not even the stream's start is written yet.
		return 0
	}
	buf := make([]byte, 1<<16)
	n := 0
	for {
		if _, err := r.ReadFrame(buf); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("reading %s: %v", path, err)
			}
			return n
		}
		n++
	}
}
