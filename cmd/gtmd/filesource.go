package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// fileSource serves the traffic document from a file, for a node that runs
// without a cluster store: it loads at start, and again on SIGHUP or when
// the file changes. A document that fails to load changes nothing.
type fileSource struct {
	path string
	node *node
	log  *slog.Logger
	// sum is the hash of the last document applied, so a touch without a
	// change reloads nothing.
	sum     [sha256.Size]byte
	modTime time.Time
	size    int64
}

func newFileSource(path string, n *node, log *slog.Logger) *fileSource {
	return &fileSource{path: path, node: n, log: log}
}

// load reads, validates and applies the document if it changed.
func (f *fileSource) load() error {
	src, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(src)
	if bytes.Equal(sum[:], f.sum[:]) {
		return nil
	}
	t, err := config.ParseTraffic(f.path, src, filepath.Dir(f.path))
	if err != nil {
		return err
	}
	serial := f.node.nextSerial(uint32(time.Now().Unix()))
	if err := f.node.applyTraffic(t, serial); err != nil {
		return err
	}
	f.sum = sum
	f.log.Info("traffic document applied", "file", f.path, "serial", serial, "zones", len(t.Zones), "services", len(t.Services))
	return nil
}

// watch reloads on a signal from hup and when the file's size or
// modification time changes, polled every interval, until ctx ends.
func (f *fileSource) watch(ctx context.Context, hup <-chan os.Signal, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	f.changed()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			f.log.Info("SIGHUP: reloading traffic document", "file", f.path)
		case <-t.C:
			if !f.changed() {
				continue
			}
		}
		if err := f.load(); err != nil {
			f.log.Error("traffic document rejected; still serving the previous one", "file", f.path, "err", err)
		}
	}
}

// changed reports whether the file's size or modification time moved
// since the last call.
func (f *fileSource) changed() bool {
	st, err := os.Stat(f.path)
	if err != nil {
		return false
	}
	moved := !st.ModTime().Equal(f.modTime) || st.Size() != f.size
	f.modTime, f.size = st.ModTime(), st.Size()
	return moved
}
