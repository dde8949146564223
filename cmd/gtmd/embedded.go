package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gtmd/gtmd/pkg/cluster/embedded"
	"github.com/gtmd/gtmd/pkg/config"
)

// embeddedOptions are the embedded etcd's settings from the node file.
// Its password stays in data_dir, beside the data it protects.
func embeddedOptions(n *config.Node, log *slog.Logger) embedded.Options {
	u := n.Store.Embedded.Upkeep
	return embedded.Options{
		Dir:          filepath.Join(n.DataDir, "etcd"),
		PasswordFile: filepath.Join(n.DataDir, "etcd-root.password"),
		Name:         n.Node.ID,
		ClientURL:    n.Store.Embedded.ClientURL,
		PeerURL:      n.Store.Embedded.PeerURL,
		Logger:       log,
		Upkeep: embedded.Upkeep{
			KeepRevisions:  u.KeepRevisions,
			DefragInterval: u.DefragInterval.Std(),
			QuotaBytes:     u.QuotaBytes,
		},
		OnFatal: func(err error) { exitOnFault(log, err) },
	}
}

// exitOnFault ends the process when the embedded etcd has failed for
// good (a full disk, a WAL write error, no descriptors left): the store
// is gone and its goroutines may hold locks, so there is nothing to shut
// down gracefully. It says why in one line, which etcd itself would not.
func exitOnFault(log *slog.Logger, err error) {
	log.Error("embedded etcd failed; exiting", "err", err)
	os.Exit(1)
}
