package node

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// startNode makes and starts a node on c as `gtmd serve` does.
func startNode(ctx context.Context, c *config.Node, log *slog.Logger) (*Node, error) {
	n, err := New(Options{Config: c, Logger: log, Version: "test"})
	if err != nil {
		return nil, err
	}
	if err := n.Start(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// stop shuts n down with the grace gtmd serve gives.
func (n *Node) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = n.Shutdown(ctx)
}

// writeFile writes content to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
