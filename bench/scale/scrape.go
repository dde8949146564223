package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// scrape reads a Prometheus text exposition at url and calls fn with
// every sample's name, label text (what is between the braces) and value.
func scrape(ctx context.Context, url string, fn func(name, labels string, v float64)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("scraping %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("scraping %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("scraping %s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		name, labels := line[:sp], ""
		if b := strings.IndexByte(name, '{'); b >= 0 {
			name, labels = name[:b], strings.TrimSuffix(name[b+1:], "}")
		}
		fn(name, labels, v)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("scraping %s: %w", url, err)
	}
	return nil
}

// label returns the value of label key in a label text.
func label(labels, key string) string {
	_, rest, ok := strings.Cut(labels, key+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// checksProbed counts the checks a node has probed at least once: its
// gtmd_health_checks_total summed over results is above zero.
func checksProbed(ctx context.Context, adminURL string) (int, error) {
	sum := map[string]float64{}
	err := scrape(ctx, adminURL+"/metrics?name[]=gtmd_health_checks_total", func(name, labels string, v float64) {
		if name == "gtmd_health_checks_total" {
			sum[label(labels, "check")] += v
		}
	})
	n := 0
	for _, v := range sum {
		if v > 0 {
			n++
		}
	}
	return n, err
}

// etcdCounters are the store's counters the benchmark reports.
type etcdCounters struct {
	puts, events, dbBytes float64
	// proposals are raft proposals committed: one per transaction,
	// however many keys it puts.
	proposals float64
	ok        bool
}

// readEtcd scrapes etcd's own /metrics. Puts are etcd_mvcc_put_total
// (etcd 3.5+) or etcd_debugging_mvcc_put_total (3.4); events are the watch
// events etcd sent, etcd_debugging_mvcc_events_total; proposals are
// etcd_server_proposals_committed_total.
func readEtcd(ctx context.Context, url string) (etcdCounters, error) {
	var c etcdCounters
	var putsNew, putsOld float64
	var haveNew bool
	err := scrape(ctx, url, func(name, _ string, v float64) {
		switch name {
		case "etcd_mvcc_put_total":
			putsNew, haveNew = v, true
		case "etcd_debugging_mvcc_put_total":
			putsOld = v
		case "etcd_debugging_mvcc_events_total":
			c.events = v
		case "etcd_server_proposals_committed_total":
			c.proposals = v
		case "etcd_mvcc_db_total_size_in_bytes":
			c.dbBytes = v
		}
	})
	c.puts = putsOld
	if haveNew {
		c.puts = putsNew
	}
	c.ok = err == nil
	return c, err
}
