package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// TestTarget: a primary taken down answers 503 and only it; unknown paths
// are 404.
func TestTarget(t *testing.T) {
	tg, err := startTarget("127.0.0.1:0", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.close()
	tg.setPrimary(3, false)
	cases := []struct {
		role string
		i    int
		want int
	}{
		{"p", 3, http.StatusServiceUnavailable},
		{"p", 2, http.StatusOK},
		{"b", 3, http.StatusOK},
		{"p", 5, http.StatusNotFound},
		{"x", 1, http.StatusNotFound},
	}
	for _, tc := range cases {
		resp, err := http.Get(tg.checkURL(tc.role, tc.i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tg.checkURL(tc.role, tc.i), resp.StatusCode, tc.want)
		}
	}
	tg.setAllPrimaries(true)
	resp, err := http.Get(tg.checkURL("p", 3))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after setAllPrimaries(true): status %d", resp.StatusCode)
	}
	if got := tg.requests.Load(); got != int64(len(cases)+1) {
		t.Errorf("requests = %d, want %d", got, len(cases)+1)
	}
}

// TestScrape: the counters a node and etcd expose are read from the text
// format, labels and comments included.
func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`# HELP gtmd_health_checks_total Health probes run.
# TYPE gtmd_health_checks_total counter
gtmd_health_checks_total{check="p00000",result="fail"} 0
gtmd_health_checks_total{check="p00000",result="ok"} 3
gtmd_health_checks_total{check="b00000",result="fail"} 0
gtmd_health_checks_total{check="b00000",result="ok"} 0
gtmd_health_checks_total{check="p00001",result="fail"} 2
etcd_debugging_mvcc_put_total 17
etcd_mvcc_put_total 19
etcd_debugging_mvcc_events_total 40
etcd_mvcc_db_total_size_in_bytes 1.048576e+06
`))
	}))
	defer srv.Close()
	n, err := checksProbed(context.Background(), srv.URL)
	if err != nil || n != 2 {
		t.Errorf("checksProbed = %d, %v; want 2", n, err)
	}
	c, err := readEtcd(context.Background(), srv.URL)
	if err != nil || c.puts != 19 || c.events != 40 || c.dbBytes != 1<<20 || !c.ok {
		t.Errorf("readEtcd = %+v, %v; want the newer put counter 19, 40 events, 1 MiB", c, err)
	}
}

// TestReadProc reads this test's own process and the machine.
func TestReadProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here:", err)
	}
	u, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.rss <= 0 || u.ticks < 0 {
		t.Errorf("readProc(self) = %+v", u)
	}
	if _, err := readProc(-1); err == nil {
		t.Error("readProc(-1): no error")
	}
	busy, total, err := readMachine()
	if err != nil || busy <= 0 || total < busy {
		t.Errorf("readMachine = %d, %d, %v", busy, total, err)
	}
}
