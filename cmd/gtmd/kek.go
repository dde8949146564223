package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/gtmd/gtmd/internal/secretfile"
	"github.com/gtmd/gtmd/pkg/config"
)

// ensureKEK makes the node's DNSSEC key-encryption key file when the node
// file names one that does not exist yet and the node runs the embedded
// store: a single node, alone in its cluster, can make the key every
// node needs, as it makes its store's password. With an external store
// other nodes may hold the key already, and one made here would seal
// keys they cannot open: a missing file is an error, unless the node is
// told to serve unsigned without the key (dnssec.unsigned_fallback).
// Nothing is made when KEKEnv is set, as it takes the file's place.
// created reports whether the file was made.
func ensureKEK(c *config.Node, getenv func(string) string, random io.Reader) (created bool, err error) {
	path := c.DNSSEC.KeyEncryptionKeyFile
	if path == "" || getenv(config.KEKEnv) != "" {
		return false, nil
	}
	_, err = os.Stat(path)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("checking the DNSSEC key-encryption key file (dnssec.key_encryption_key_file): %w", err)
	case len(c.Store.EtcdEndpoints) > 0 && c.DNSSEC.UnsignedFallback:
		return false, nil
	case len(c.Store.EtcdEndpoints) > 0:
		return false, fmt.Errorf("the DNSSEC key-encryption key file %s (dnssec.key_encryption_key_file) does not exist: copy it from another node of the cluster, or, for the cluster's first node, %s (or set %s to the same hex)",
			path, config.KEKHowTo, config.KEKEnv)
	}
	var kek [config.KEKSize]byte
	if _, err := io.ReadFull(random, kek[:]); err != nil {
		return false, fmt.Errorf("making the DNSSEC key-encryption key: %w", err)
	}
	return secretfile.WriteNew(path, []byte(hex.EncodeToString(kek[:])+"\n"))
}
