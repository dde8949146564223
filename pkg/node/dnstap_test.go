package node

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	dnstap "github.com/dnstap/golang-dnstap"

	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnstaplog"
)

// TestDnstapFromTheNodeFile: a node whose file sets dnstap.file logs its
// queries there, named by its id and gtmd's version, with the decision;
// Shutdown writes out what is buffered.
func TestDnstapFromTheNodeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queries.dnstap")
	n := startTestNodeIn(t, "n1", clustertest.StartEtcd(t), writeTraffic(t, clusterTraffic("127.0.0.1:1")), t.TempDir(), func(c *config.Node) {
		c.Dnstap.File = path
	})
	testwait.Eventually(t, 10*time.Second, "the node answers for www", func() bool {
		got, _ := answer(t, n.dnsAddr(), "www.gtm.test.")
		return len(got) == 1
	})
	n.stop()
	msgs, err := dnstaplog.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var queries, answers, decided int
	for _, d := range msgs {
		if string(d.GetIdentity()) != "n1" || string(d.GetVersion()) != "gtmd test" {
			t.Errorf("identity %q version %q, want n1 and gtmd test", d.GetIdentity(), d.GetVersion())
		}
		// Queries before the document is served are refused, with no
		// decision.
		switch extra := string(d.GetExtra()); {
		case strings.HasPrefix(extra, "service=www.gtm.test. endpoint="):
			decided++
		case extra != "":
			t.Errorf("extra %q does not name the service's decision", extra)
		}
		switch d.GetMessage().GetType() {
		case dnstap.Message_AUTH_QUERY:
			queries++
		case dnstap.Message_AUTH_RESPONSE:
			answers++
		}
	}
	if queries == 0 || queries != answers || decided < 2 {
		t.Errorf("read %d queries and %d answers, %d messages with a decision; want as many queries as answers, and a decided pair", queries, answers, decided)
	}
}
