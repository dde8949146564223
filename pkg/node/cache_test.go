package node

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// TestKeptCopy: what a restart needs is written and read back whole,
// drains, pushed statuses and DNSSEC key sets included, and a copy written before those
// were kept still reads.
func TestKeptCopy(t *testing.T) {
	doc, err := config.ParseTraffic("t.yaml", []byte(clusterTraffic("127.0.0.1:1")), "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	k := kept{
		Revision:  42,
		Traffic:   doc,
		Overrides: map[health.EndpointKey]health.Override{{Service: "www.gtm.test.", Endpoint: "us-east"}: {State: health.OverrideDown, Reason: "maintenance", At: at}},
		External:  map[string]health.External{"push": {Healthy: true, Expires: at.Add(time.Minute), At: at}},
		KeySets:   map[string]cluster.StoredKeySet{"gtm.test.": {Zone: "gtm.test.", Value: []byte(`{"version":1}`), Revision: 9}},
	}
	dir := t.TempDir()
	if err := saveKept(dir, k); err != nil {
		t.Fatal(err)
	}
	back, err := loadKept(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Revision != 42 || !reflect.DeepEqual(back.Overrides, k.Overrides) || !reflect.DeepEqual(back.External, k.External) || !reflect.DeepEqual(back.KeySets, k.KeySets) || len(back.Traffic.Services) != 1 {
		t.Errorf("read back %+v, want %+v", back, k)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the data directory holds %d files, want the copy alone (no temporary file left)", len(entries))
	}

	old := `{"revision": 7, "traffic": {"zones": [{"name": "gtm.test.", "soa": {"mname": "ns1.gtm.test.", "rname": "h.gtm.test."}, "ns": ["ns1.gtm.test."], "records": [{"name": "ns1", "type": "A", "data": ["192.0.2.53"]}]}]}}`
	if err := os.WriteFile(filepath.Join(dir, cacheFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	back, err = loadKept(dir)
	if err != nil || back.Revision != 7 || len(back.Overrides) != 0 {
		t.Errorf("a copy without overrides: %+v, %v", back, err)
	}
	if _, err := loadKept(t.TempDir()); !os.IsNotExist(err) {
		t.Errorf("no copy: %v, want a not-exist error", err)
	}
}
