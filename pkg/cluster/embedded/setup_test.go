package embedded

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testport"
)

// hammer writes a key without credentials to an etcd client port over
// and over, as a local process polling the port for the moment it opens
// would, through etcd's HTTP gateway: a new connection per try when
// refused, so it is in as soon as the port opens.
type hammer struct {
	// written counts writes etcd accepted, refused those it answered
	// with an error, unreachable tries that found no listener.
	written, refused, unreachable atomic.Int64
	stop                          chan struct{}
	wg                            sync.WaitGroup
}

func startHammer(port int, key string) *hammer {
	h := &hammer{stop: make(chan struct{})}
	body, _ := json.Marshal(map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte(key)),
		"value": base64.StdEncoding.EncodeToString([]byte(`{"intruded":true}`)),
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/v3/kv/put", port)
	cl := &http.Client{Timeout: 2 * time.Second}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			select {
			case <-h.stop:
				return
			default:
			}
			resp, err := cl.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				h.unreachable.Add(1)
				time.Sleep(time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && !strings.Contains(string(b), `"error"`) {
				h.written.Add(1)
			} else {
				h.refused.Add(1)
			}
		}
	}()
	return h
}

func (h *hammer) halt() {
	close(h.stop)
	h.wg.Wait()
}

// TestFirstStartNeverOpen: while a node starts on a new data
// directory, or on one from before authentication, a local process
// writing to the client port from before the start until after it never
// gets a write in: the port opens with authentication already on.
func TestFirstStartNeverOpen(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
		// authOn is whether the database says auth is on before the
		// start, which saves the start on the private socket.
		authOn bool
	}{
		{"a new data directory", func(*testing.T, string) {}, false},
		{"a data directory from before authentication", startOpenEtcd, false},
		{"a restart", func(t *testing.T, dir string) { e, _ := startEtcd(t, dir, nil); e.Close() }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "etcd")
			c.prepare(t, dir)
			if got := authOnDisk(dir); got != c.authOn {
				t.Errorf("the database says auth is on: %v, want %v", got, c.authOn)
			}
			key := testPrefix + "traffic"
			var e *Etcd
			var h *hammer
			for attempt := 0; ; attempt++ {
				ports := testport.Ports(t, 2)
				h = startHammer(ports[0], key)
				for h.unreachable.Load()+h.refused.Load()+h.written.Load() == 0 {
					time.Sleep(time.Millisecond) // until the hammer is at the port
				}
				var err error
				e, _, err = tryStart(t, dir, ports)
				if err == nil {
					break
				}
				h.halt()
				if attempt == 4 || !strings.Contains(err.Error(), "address already in use") {
					t.Fatal(err)
				}
			}
			t.Cleanup(e.Close)
			// Until etcd has answered the hammer over TCP, so it surely
			// was at the port when it opened.
			deadline := time.Now().Add(20 * time.Second)
			for h.refused.Load()+h.written.Load() < 10 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			h.halt()
			t.Logf("writes without credentials: %d accepted, %d refused, %d found no listener", h.written.Load(), h.refused.Load(), h.unreachable.Load())
			if h.written.Load() != 0 {
				t.Errorf("%d writes without credentials were accepted", h.written.Load())
			}
			if h.refused.Load() == 0 || h.unreachable.Load() == 0 {
				t.Fatal("the hammer did not reach the port both before and after it opened")
			}
			user, pw := e.Credentials()
			cli, err := rawClient(t, e.Endpoints(), user, pw)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := cli.Get(ctxT(t), key)
			if err != nil || len(resp.Kvs) != 0 {
				t.Errorf("the intruder's key: %v, %v; want none", resp, err)
			}
			stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".etcd-setup-*"))
			if len(stale) != 0 {
				t.Errorf("setup directories left behind: %v", stale)
			}
		})
	}
}

// TestPrivateSocket: the setup socket's directory is the user's alone,
// and a data directory too deep for a socket path falls back to the
// temporary directory.
func TestPrivateSocket(t *testing.T) {
	t.Parallel()
	short := filepath.Join(t.TempDir(), "etcd")
	deep := filepath.Join(t.TempDir(), strings.Repeat("d", 100), "etcd")
	for _, c := range []struct {
		name, dataDir, wantParent string
	}{
		{"beside the data", short, filepath.Dir(short)},
		{"too deep for a socket", deep, os.TempDir()},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Dir(c.dataDir), 0o755); err != nil {
				t.Fatal(err)
			}
			u, dir, err := privateSocket(c.dataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			if filepath.Dir(dir) != filepath.Clean(c.wantParent) {
				t.Errorf("socket directory %s, want it in %s", dir, c.wantParent)
			}
			if u.Scheme != "unix" || filepath.Dir(u.Path) != dir || len(u.Path) > socketPathMax {
				t.Errorf("socket URL %s, want unix:// in %s, at most %d bytes", u, dir, socketPathMax)
			}
			fi, err := os.Stat(dir)
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("socket directory: %v, mode %v; want 0700", err, fi.Mode())
			}
		})
	}
}
