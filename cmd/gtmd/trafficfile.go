package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// trafficFileCheckTimeout bounds the question to the store when
// traffic_file cannot be loaded.
const trafficFileCheckTimeout = 5 * time.Second

// checkTrafficFile loads traffic_file at start and reports whether it is
// there to bootstrap the store with. The file only fills an empty store:
// when it cannot be loaded (missing, misspelled, invalid), that is a
// start-up error if the store holds no document, since the node would
// answer REFUSED to every query; if the store holds one, or cannot say,
// it is a warning and the node serves what the store delivers.
func checkTrafficFile(ctx context.Context, s *cluster.Store, path string, log *slog.Logger) (bool, error) {
	_, loadErr := config.LoadTraffic(path)
	if loadErr == nil {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, trafficFileCheckTimeout)
	defer cancel()
	_, rev, err := s.Traffic(ctx)
	switch {
	case errors.Is(err, cluster.ErrNoDocument):
		return false, fmt.Errorf("traffic_file %s cannot be loaded and the store holds no traffic document to serve instead: %w", path, loadErr)
	case err != nil:
		log.Warn("traffic_file cannot be loaded, and the store cannot tell whether it holds a document; answers follow once it delivers one", "file", path, "err", loadErr, "store_err", err)
	default:
		log.Warn("traffic_file cannot be loaded; serving the document the store holds", "file", path, "revision", rev, "err", loadErr)
	}
	return false, nil
}
