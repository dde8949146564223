package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gtmd/gtmd/internal/secretfile"
)

// rootUser is the etcd user gtmd connects to its embedded store as; the
// root role it holds is the only one that may enable auth, compact,
// defragment and disarm alarms.
const rootUser = "root"

// passwordBytes is the entropy of a generated root password: at 256
// random bits the password cannot be guessed, so bcrypt's cost adds
// nothing and is kept at its minimum (see Start).
const passwordBytes = 32

// setupTimeout bounds each step of turning authentication on.
const setupTimeout = 10 * time.Second

// readPassword reads the root password from path, refusing a file others
// may read: the password opens the whole store.
func readPassword(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("reading the embedded store's root password: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("the embedded store's root password file %s can be read by group or others (mode %04o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the embedded store's root password: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", fmt.Errorf("the embedded store's root password file %s is empty", path)
	}
	return pw, nil
}

// writePassword generates a root password and writes it to path, mode
// 0600, so that a crash leaves either no file or the whole one; a file
// another process wrote meanwhile wins, and its password is returned.
func writePassword(path string) (string, error) {
	buf := make([]byte, passwordBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generating the embedded store's root password: %w", err)
	}
	pw := hex.EncodeToString(buf)
	created, err := secretfile.WriteNew(path, []byte(pw+"\n"))
	if err != nil {
		return "", fmt.Errorf("writing the embedded store's root password: %w", err)
	}
	if !created {
		return readPassword(path)
	}
	return pw, nil
}

// secure turns authentication on in a store that has none yet (first
// start, or a data directory from a gtmd without it), and returns the
// root password to connect with and whether auth was enabled just now.
//
// The password file is written before auth is enabled, so a crash in
// between leaves a store that is either open or opens with the file.
func secure(endpoint, passwordFile string, log *slog.Logger) (pw string, enabledNow bool, err error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: setupTimeout, Logger: zap.NewNop()})
	if err != nil {
		return "", false, fmt.Errorf("connecting to the embedded etcd to check its authentication: %w", err)
	}
	defer cli.Close()
	ctx, cancel := setupContext()
	defer cancel()
	st, err := cli.AuthStatus(ctx)
	if err != nil {
		return "", false, fmt.Errorf("checking the embedded etcd's authentication: %w", err)
	}
	if st.Enabled {
		pw, err := readPassword(passwordFile)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, fmt.Errorf("the embedded etcd has authentication on but its root password file %s is missing: restore it from a backup of the data directory", passwordFile)
		}
		return pw, false, err
	}
	pw, err = readPassword(passwordFile)
	if errors.Is(err, fs.ErrNotExist) {
		pw, err = writePassword(passwordFile)
	}
	if err != nil {
		return "", false, err
	}
	if _, err := cli.UserAdd(ctx, rootUser, pw); errors.Is(err, rpctypes.ErrUserAlreadyExist) {
		_, err = cli.UserChangePassword(ctx, rootUser, pw)
		if err != nil {
			return "", false, fmt.Errorf("setting the embedded etcd's root password: %w", err)
		}
	} else if err != nil {
		return "", false, fmt.Errorf("adding the embedded etcd's root user: %w", err)
	}
	if _, err := cli.UserGrantRole(ctx, rootUser, rootUser); err != nil {
		return "", false, fmt.Errorf("granting the embedded etcd's root role: %w", err)
	}
	if _, err := cli.AuthEnable(ctx); err != nil {
		return "", false, fmt.Errorf("enabling the embedded etcd's authentication: %w", err)
	}
	log.Info("embedded etcd: authentication enabled", "password_file", passwordFile)
	return pw, true, nil
}

// dropStrangers removes every user and role but root, over a client
// logged in as root once auth is on: when auth has just been enabled,
// any other user or role was made while anyone could write the store.
func dropStrangers(ctx context.Context, cli *clientv3.Client, log *slog.Logger) error {
	users, err := cli.UserList(ctx)
	if err != nil {
		return fmt.Errorf("listing the embedded etcd's users: %w", err)
	}
	for _, u := range users.Users {
		if u == rootUser {
			continue
		}
		if _, err := cli.UserDelete(ctx, u); err != nil {
			return fmt.Errorf("removing user %q from the embedded etcd: %w", u, err)
		}
		log.Warn("embedded etcd: removed a user made while the store had no authentication", "user", u)
	}
	roles, err := cli.RoleList(ctx)
	if err != nil {
		return fmt.Errorf("listing the embedded etcd's roles: %w", err)
	}
	for _, r := range roles.Roles {
		if r == rootUser {
			continue
		}
		if _, err := cli.RoleDelete(ctx, r); err != nil {
			return fmt.Errorf("removing role %q from the embedded etcd: %w", r, err)
		}
		log.Warn("embedded etcd: removed a role made while the store had no authentication", "role", r)
	}
	return nil
}

// setupContext bounds one step of setting up or keeping the store.
func setupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), setupTimeout)
}
