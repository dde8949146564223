package node

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestEmbeddedOptionsFromNodeFile: the node file's store.embedded keys
// reach the embedded etcd, and its password stays in data_dir.
func TestEmbeddedOptionsFromNodeFile(t *testing.T) {
	n := config.DefaultNode()
	n.Node.ID, n.DataDir = "n7", "/var/lib/gtmd"
	n.Store.Embedded.ClientURL, n.Store.Embedded.PeerURL = "http://127.0.0.1:3379", "http://127.0.0.1:3380"
	n.Store.Embedded.Upkeep = config.EmbeddedUpkeep{KeepRevisions: 500, DefragInterval: config.Duration(10 * time.Minute), QuotaBytes: 128 << 20}
	var fatal error
	o := embeddedOptions(&n, slog.New(slog.DiscardHandler), func(err error) { fatal = err })
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"Dir", o.Dir, filepath.Join("/var/lib/gtmd", "etcd")},
		{"PasswordFile", o.PasswordFile, filepath.Join("/var/lib/gtmd", "etcd-root.password")},
		{"Name", o.Name, "n7"},
		{"ClientURL", o.ClientURL, "http://127.0.0.1:3379"},
		{"PeerURL", o.PeerURL, "http://127.0.0.1:3380"},
		{"Upkeep", o.Upkeep, cluster.Upkeep{KeepRevisions: 500, DefragInterval: 10 * time.Minute, QuotaBytes: 128 << 20}},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
	cause := errors.New("no space left on device")
	o.OnFatal(cause)
	if !errors.Is(fatal, cause) || !strings.Contains(fatal.Error(), "embedded etcd failed") {
		t.Errorf("OnFatal reported %v; want the cause, saying the embedded etcd failed", fatal)
	}
}
