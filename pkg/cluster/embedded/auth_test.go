package embedded

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/gtmd/gtmd/internal/testcert"
	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/internal/testport"
)

// rawClient connects to endpoints as user (none when ""), as any local
// process could.
func rawClient(t *testing.T, endpoints []string, user, password string) (*clientv3.Client, error) {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, Username: user, Password: password, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err == nil {
		t.Cleanup(func() { cli.Close() })
	}
	return cli, err
}

// canWrite reports whether a client as user may write the store, and the
// error when it may not.
func canWrite(t *testing.T, endpoints []string, user, password string) error {
	t.Helper()
	cli, err := rawClient(t, endpoints, user, password)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, testPrefix+"overrides/svc/intruded", "{}")
	return err
}

// TestRefusesStrangers: only the holder of the generated password
// reads or writes the embedded store, and a restart keeps that password.
func TestRefusesStrangers(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	e, ports := startEtcd(t, filepath.Join(dir, "etcd"), nil)
	user, pw := e.Credentials()
	eps := e.Endpoints()

	file := filepath.Join(dir, "etcd-root.password")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("password file mode %04o, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(file)
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(b) || strings.TrimSpace(string(b)) != pw {
		t.Errorf("password file holds %q, want the 64 hex digits of Credentials", b)
	}

	for _, c := range []struct {
		name, user, password string
		want                 error
	}{
		{"no credentials", "", "", rpctypes.ErrUserEmpty},
		{"root with a guess", "root", "guess", rpctypes.ErrAuthFailed},
		{"an unknown user", "gtmd", pw, rpctypes.ErrAuthFailed},
		{"the generated password", user, pw, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := canWrite(t, eps, c.user, c.password)
			if !errors.Is(err, c.want) {
				t.Errorf("write: %v, want %v", err, c.want)
			}
		})
	}
	e.Close()

	e, _ = startEtcd(t, filepath.Join(dir, "etcd"), ports)
	t.Cleanup(e.Close)
	if _, again := e.Credentials(); again != pw {
		t.Errorf("password after a restart %q, want %q", again, pw)
	}
	if err := canWrite(t, eps, "", ""); !errors.Is(err, rpctypes.ErrUserEmpty) {
		t.Errorf("write without credentials after a restart: %v", err)
	}
	if err := canWrite(t, eps, user, pw); err != nil {
		t.Errorf("write with the password after a restart: %v", err)
	}
}

// startOpenEtcd runs the data directory as gtmd did before the store had
// authentication, and writes what an intruder would have.
func startOpenEtcd(t *testing.T, dir string) {
	t.Helper()
	ports := testport.Ports(t, 2)
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "node1", dir
	cu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	pu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[1])}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	<-e.Server.ReadyNotify()
	cli, err := rawClient(t, []string{cu.String()}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for _, step := range []func() error{
		func() error { _, err := cli.Put(ctx, testPrefix+"kept", "yes"); return err },
		func() error { _, err := cli.UserAdd(ctx, "intruder", "x"); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "intruder", "root"); return err },
		func() error { _, err := cli.RoleAdd(ctx, "writer"); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	cli.Close()
}

// TestSecuresAnOpenStore: a data directory from before
// authentication gets it on the first start, keeps its data, and loses
// the users and roles anyone could have made meanwhile.
func TestSecuresAnOpenStore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "etcd")
	startOpenEtcd(t, dir)

	var logs testlog.Buffer
	e, _ := startEtcd(t, dir, nil, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	t.Cleanup(e.Close)
	// Start logs each of these before it returns.
	for _, want := range [][]string{{"authentication enabled"}, {"removed a user", "intruder"}, {"removed a role", "writer"}} {
		if !logged(logs.Lines(), want...) {
			t.Errorf("no log line with %q; logged:\n%s", want, logs.String())
		}
	}

	if err := canWrite(t, e.Endpoints(), "", ""); !errors.Is(err, rpctypes.ErrUserEmpty) {
		t.Errorf("write without credentials: %v", err)
	}
	if err := canWrite(t, e.Endpoints(), "intruder", "x"); !errors.Is(err, rpctypes.ErrAuthFailed) {
		t.Errorf("write as the intruder: %v", err)
	}
	user, pw := e.Credentials()
	cli, err := rawClient(t, e.Endpoints(), user, pw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	resp, err := cli.Get(ctx, testPrefix+"kept")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "yes" {
		t.Errorf("data written before: %v %v", resp, err)
	}
	users, err := cli.UserList(ctx)
	if err != nil || !slices.Equal(users.Users, []string{"root"}) {
		t.Errorf("users %v (%v), want only root", users, err)
	}
	roles, err := cli.RoleList(ctx)
	if err != nil || len(roles.Roles) != 0 {
		t.Errorf("roles %v (%v), want none (root's is built in)", roles.Roles, err)
	}
}

// TestPasswordFileFaults: a password file that others can read,
// that is missing or that holds another password stops the start with
// an error that says what to do.
func TestPasswordFileFaults(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	file := filepath.Join(dir, "etcd-root.password")
	e, ports := startEtcd(t, filepath.Join(dir, "etcd"), nil)
	e.Close()
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		spoil func() error
		want  string
	}{
		{"readable by others", func() error { return os.Chmod(file, 0o644) }, "run chmod 600 " + file},
		{"missing", func() error { return os.Remove(file) }, "root password file " + file + " is missing"},
		{"another password", func() error { return os.WriteFile(file, []byte("guess\n"), 0o600) }, "logging in to the embedded etcd as root"},
		{"empty", func() error { return os.WriteFile(file, nil, 0o600) }, "is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.spoil(); err != nil {
				t.Fatal(err)
			}
			e, _, err := tryStart(t, filepath.Join(dir, "etcd"), ports)
			if err == nil {
				e.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
			_ = os.Remove(file)
			if err := os.WriteFile(file, good, 0o600); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Put back, the file opens the store again.
	e, _ = startEtcd(t, filepath.Join(dir, "etcd"), ports)
	e.Close()
}

// TestPeerPortSealed: the peer port, which trusts what it is sent
// with raft itself, answers no one: not over plain HTTP, not over TLS
// without a client certificate, not with a certificate of one's own.
func TestPeerPortSealed(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	e, ports := startEtcd(t, filepath.Join(dir, "etcd"), nil)
	t.Cleanup(e.Close)
	peer := fmt.Sprintf("localhost:%d", ports[1])

	// A client certificate no CA of gtmd's signed.
	own := testcert.NewCA(t, "intruder").Leaf(t)
	for _, c := range []struct {
		name string
		url  string
		tls  *tls.Config
	}{
		{"plain http", "http://" + peer + "/members", nil},
		{"tls without a certificate", "https://" + peer + "/members", &tls.Config{InsecureSkipVerify: true}},
		{"tls with a certificate of one's own", "https://" + peer + "/members", &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{own}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: c.tls}}
			resp, err := cl.Get(c.url)
			if err != nil {
				return // refused in the handshake
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "peerURLs") {
				t.Errorf("the peer port answered %s: %s", resp.Status, body)
			}
		})
	}
	for _, f := range []string{"peer.pem", "peer-key.pem", "peer-ca.pem"} {
		fi, err := os.Stat(filepath.Join(dir, "etcd-peer", f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", f, err, fi.Mode())
		}
	}
}
