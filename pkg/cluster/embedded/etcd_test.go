package embedded

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/internal/testport"
)

func TestStartRejectsNonLoopback(t *testing.T) {
	t.Parallel()
	good := "http://127.0.0.1:1"
	for _, c := range []struct {
		name, client, peer, want string
	}{
		{"client on every address", "http://0.0.0.0:2379", good, "store.embedded.client_url"},
		{"client on a LAN address", "http://10.0.0.1:2379", good, "loopback only"},
		{"client over https", "https://127.0.0.1:2379", good, "want an http:// URL"},
		{"client not a URL", "127.0.0.1:2379", good, "want an http:// URL"},
		{"peer on a public name", good, "http://etcd.example.com:2380", "store.embedded.peer_url"},
		{"peer on IPv6 any", good, "http://[::]:2380", "loopback only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := Start(Options{Dir: t.TempDir(), Name: "n", ClientURL: c.client, PeerURL: c.peer})
			if err == nil {
				e.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// startEtcd starts the embedded store in dir on free loopback ports,
// retrying with new ports when one was taken meanwhile.
func startEtcd(t *testing.T, dir string, ports []int, edit ...func(*Options)) (*Etcd, []int) {
	t.Helper()
	e, ports, err := tryStart(t, dir, ports, edit...)
	if err != nil {
		t.Fatal(err)
	}
	return e, ports
}

// tryStart is startEtcd returning Start's error.
func tryStart(t *testing.T, dir string, ports []int, edit ...func(*Options)) (*Etcd, []int, error) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		if ports == nil {
			ports = testport.Ports(t, 2)
		}
		o := Options{
			Dir:          dir,
			Name:         "node1",
			ClientURL:    fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
			PeerURL:      fmt.Sprintf("http://localhost:%d", ports[1]),
			StartTimeout: 20 * time.Second,
		}
		for _, f := range edit {
			f(&o)
		}
		e, err := Start(o)
		if err == nil || attempt == 4 || !strings.Contains(err.Error(), "address already in use") {
			return e, ports, err
		}
		ports = nil
	}
}

// BenchmarkStart times Start on a new data directory, which starts etcd
// twice (once on a private socket to turn auth on), and on one that has
// auth on already, which starts it once:
//
//	go test ./pkg/cluster/embedded -run '^$' -bench Start -benchtime 10x
func BenchmarkStart(b *testing.B) {
	for _, c := range []struct {
		name  string
		fresh bool
	}{{"first start", true}, {"later start", false}} {
		b.Run(c.name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "etcd")
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if c.fresh {
					dir = filepath.Join(b.TempDir(), "etcd")
				} else if i == 0 {
					startBench(b, dir).Close()
				}
				b.StartTimer()
				e := startBench(b, dir)
				b.StopTimer()
				e.Close()
				b.StartTimer()
			}
		})
	}
}

func startBench(b *testing.B, dir string) *Etcd {
	b.Helper()
	ports := testport.Ports(b, 2)
	e, err := Start(Options{
		Dir: dir, Name: "node1",
		ClientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), PeerURL: fmt.Sprintf("http://localhost:%d", ports[1]),
	})
	if err != nil {
		b.Fatal(err)
	}
	return e
}
