package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestDefragments: history compacted away leaves the database
// file as large as before until the periodic defragmentation shrinks it.
func TestDefragments(t *testing.T) {
	t.Parallel()
	e, _ := startEtcd(t, filepath.Join(t.TempDir(), "etcd"), nil, func(o *Options) { o.Upkeep.DefragInterval = 300 * time.Millisecond })
	t.Cleanup(e.Close)
	user, pw := e.Credentials()
	cli, err := rawClient(t, e.Endpoints(), user, pw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 30*time.Second)
	value := strings.Repeat("x", 100<<10)
	var last *clientv3.PutResponse
	for range 40 {
		if last, err = cli.Put(ctx, testPrefix+"filler", value); err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		st, err := cli.Status(ctx, e.Endpoints()[0])
		if err != nil {
			t.Fatal(err)
		}
		return st.DbSize
	}
	// etcd commits to its database in batches, every 100ms.
	var full int64
	eventually(t, 10*time.Second, func() bool { full = size(); return full >= 4<<20 }, "4 MB of writes in the database: %s bytes", lazy(func() string { return fmt.Sprint(full) }))
	if _, err := cli.Compact(ctx, last.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() bool { return size() < full/4 }, "the database (%d bytes before) shrunk", full)
}
