package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gtmd/gtmd/pkg/config"
)

// The last document a node served is kept in its data directory. A node
// restarted while etcd is unreachable answers from it, with its own health
// checks, until the store answers (fail-static across restarts, not only
// across outages); the store's document replaces it as soon as it comes.

// cacheFile is the copy's name in the data directory.
const cacheFile = "traffic-served.json"

type cachedDocument struct {
	Revision int64           `json:"revision"`
	Traffic  json.RawMessage `json:"traffic"`
}

// saveDocument writes the copy whole or not at all, and durably: the new
// file's data reaches the disk before the rename makes it the copy, and
// the rename itself before saveDocument returns, so a power cut leaves
// the old copy or the new one, never an empty file.
func saveDocument(dir string, revision int64, t *config.Traffic) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encoding the served document: %w", err)
	}
	b, err := json.Marshal(cachedDocument{Revision: revision, Traffic: doc})
	if err != nil {
		return fmt.Errorf("encoding the served document: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keeping the served document: %w", err)
	}
	if err := writeDurably(dir, cacheFile, b); err != nil {
		return fmt.Errorf("keeping the served document: %w", err)
	}
	return nil
}

// writeDurably replaces dir/name with data: write a temporary file,
// fsync it, rename it over name, fsync the directory.
func writeDurably(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// loadDocument reads the copy; os.ErrNotExist when there is none.
func loadDocument(dir string) (*config.Traffic, int64, error) {
	path := filepath.Join(dir, cacheFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	var c cachedDocument
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	t, err := config.ParseTraffic(path, c.Traffic, "")
	if err != nil {
		return nil, 0, err
	}
	return t, c.Revision, nil
}
