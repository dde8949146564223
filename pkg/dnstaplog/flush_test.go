package dnstaplog_test

import (
	"path/filepath"
	"testing"
	"time"

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
	waitFor(t, "both messages in the file", func() bool { return framesIn(path) == 2 })
}

// framesIn counts the whole frames written to path so far.
func framesIn(path string) int {
	msgs, _ := dnstaplog.ReadFile(path)
	return len(msgs)
}
