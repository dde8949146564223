package embedded

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/storage/datadir"
	"go.etcd.io/etcd/server/v3/storage/schema"
)

// A store without authentication must never listen on TCP: any local
// process that reached the port in that moment could write a document
// that stays. So a data directory whose database does not say auth is
// on (a first start, or one from a gtmd without auth) is first started
// with its client listener only on a unix socket in a directory of
// mode 0700, where auth is turned on; only then is it started again on
// the configured client URL. Later starts read that auth is on from the
// database and start once.

// socketPathMax is the longest unix socket path every platform takes
// (sun_path holds 104 bytes on BSDs and macOS, 108 on Linux, with NUL).
const socketPathMax = 103

// authOnDisk reports whether the etcd database in dir has authentication
// on. Anything that keeps it from telling (no database yet, one it cannot
// read) counts as off: that costs one more start, never an open port.
// The database may lag the WAL after a crash, but only ever behind an
// AuthEnable, never behind an AuthDisable, which gtmd does not do.
func authOnDisk(dir string) bool {
	path := datadir.ToBackendFileName(dir)
	if _, err := os.Stat(path); err != nil {
		return false
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return false
	}
	defer db.Close()
	on := false
	_ = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(schema.Auth.Name()); b != nil {
			on = bytes.Equal(b.Get(schema.AuthEnabledKeyName), []byte{1})
		}
		return nil
	})
	return on
}

// privateSocket makes a directory only this user may enter (mode 0700)
// beside the data, or in the temporary directory when a socket path
// there would be too long, and returns the unix:// URL of a socket in it
// and the directory, to remove once done.
func privateSocket(dataDir string) (*url.URL, string, error) {
	parent := filepath.Dir(dataDir)
	// MkdirTemp's random suffix is 10 digits at most.
	if len(filepath.Join(parent, ".etcd-setup-0123456789", "s")) > socketPathMax {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, "", fmt.Errorf("making a private directory for the embedded etcd's setup socket: %w", err)
	}
	dir, err := os.MkdirTemp(parent, ".etcd-setup-") // mode 0700
	if err != nil {
		return nil, "", fmt.Errorf("making a private directory for the embedded etcd's setup socket: %w", err)
	}
	return &url.URL{Scheme: "unix", Path: filepath.Join(dir, "s")}, dir, nil
}

// removeStaleSetups removes the setup directories a crashed start left
// beside the data.
func removeStaleSetups(dataDir string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dataDir), ".etcd-setup-*"))
	for _, d := range stale {
		_ = os.RemoveAll(d)
	}
}

// etcdConfig is the configuration of one start of the embedded etcd
// with its client listener on client, its logger quiet once closing is
// set.
type etcdConfig func(client *url.URL, closing *atomic.Bool) *embed.Config

// setUpAuth starts etcd on a private unix socket, turns authentication
// on, removes every user and role anyone could have made while it was
// off, and stops etcd again.
func (e *Etcd) setUpAuth(config etcdConfig, dataDir string, timeout time.Duration) error {
	removeStaleSetups(dataDir)
	sock, dir, err := privateSocket(dataDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var closing atomic.Bool
	et, err := e.start(config(sock, &closing), timeout)
	if err != nil {
		return err
	}
	err = e.secureOver(sock.String())
	if f := e.fault.Load(); f != nil {
		// Its goroutines may hold locks: nothing of it can be closed.
		return fmt.Errorf("starting the embedded etcd in %s: %w", dataDir, f)
	}
	closing.Store(true)
	et.Close()
	if err != nil {
		return fmt.Errorf("starting the embedded etcd in %s: %w", dataDir, err)
	}
	return nil
}

// secureOver turns authentication on over endpoint and removes the users
// and roles made while it was off.
func (e *Etcd) secureOver(endpoint string) error {
	pw, enabledNow, err := secure(endpoint, e.passwordFile, e.log)
	if err != nil || !enabledNow {
		// On already although the database said off: a crash came
		// between AuthEnable and the database's commit; it was enabled
		// over this socket too, so no one else could have got in.
		return err
	}
	cli, err := rootClient(endpoint, pw, e.passwordFile)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := setupContext()
	defer cancel()
	return dropStrangers(ctx, cli, e.log)
}
