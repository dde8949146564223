package node

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// embeddedOptions are the embedded etcd's settings from the node file.
// Its password stays in data_dir, beside the data it protects.
// fatal is told when the embedded etcd has failed for good.
func embeddedOptions(n *config.Node, log *slog.Logger, fatal func(error)) cluster.EmbeddedOptions {
	u := n.Store.Embedded.Upkeep
	return cluster.EmbeddedOptions{
		Dir:          filepath.Join(n.DataDir, "etcd"),
		PasswordFile: filepath.Join(n.DataDir, "etcd-root.password"),
		Name:         n.Node.ID,
		ClientURL:    n.Store.Embedded.ClientURL,
		PeerURL:      n.Store.Embedded.PeerURL,
		Logger:       log,
		Upkeep: cluster.Upkeep{
			KeepRevisions:  u.KeepRevisions,
			DefragInterval: u.DefragInterval.Std(),
			QuotaBytes:     u.QuotaBytes,
		},
		// A full disk, a WAL write error, no descriptors left: the store
		// is gone and its goroutines may hold locks; the node reports it
		// on Err for its owner to end the process.
		OnFatal: func(err error) { fatal(fmt.Errorf("embedded etcd failed: %w", err)) },
	}
}
