package cluster

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// A node's probes change latency and time with every result, and no
// verdict depends on them, so they are not written with the status. They
// go in one key per node, <prefix>details/<node>, rewritten under the
// lease at most every Options.DetailInterval and only when they differ:
// GET /v1/health shows another node's latency and error from it, at most
// that old. With the member heartbeat, a cluster's steady writes are
//
//	members/HeartbeatInterval + members/DetailInterval per second
//
// (0.23/s a node with the defaults), whatever the number of checks.
//
// The key grows with the checks (about 80 bytes each), and etcd keeps
// every version of it until compacted: a large one is written less often,
// so that a node adds at most Options.DetailBytesPerSecond (4 KiB) to
// etcd's history on average (10,000 checks: about every 200 s; 20 nodes
// add under 300 MB to an hour of history).

// maxDetailBytes bounds the detail key, well inside etcd's default
// request limit (1.5 MiB): a larger value would be refused whole.
// Failing checks are kept first when it must be trimmed.
const maxDetailBytes = 1 << 20

// Detail is a node's latest probe of a check, as it publishes it.
type Detail struct {
	Latency time.Duration `json:"latency_ns,omitempty"`
	Error   string        `json:"error,omitempty"`
	At      time.Time     `json:"at"`
}

// detailState is what the store knows of this node's detail key; the
// Store's mu guards it.
type detailState struct {
	latest map[string]Detail
	// seq counts SetDetails calls; writtenSeq is the one last written.
	seq, writtenSeq uint64
	written         []byte // the stored value under the current lease, nil for none
	// writtenAt is the last attempt, zero when none was made under the
	// current lease.
	writtenAt time.Time
	trimmed   bool // the last encoding was trimmed (logged once)
}

// SetDetails records this node's latest probe of every check; the store
// writes them in its detail key when due (at most every
// Options.DetailInterval, less often when large) and only if they changed.
// The store keeps d: the caller hands over a new map each time.
func (s *Store) SetDetails(d map[string]Detail) {
	s.mu.Lock()
	s.details.latest = d
	s.details.seq++
	s.mu.Unlock()
	s.wake()
}

// flushDetails writes the detail key when it is due and differs, and
// returns how long until a pending change is due (0 when none is).
// A failed write waits for the next interval: the detail is for people
// reading the API, never worth a retry loop.
func (s *Store) flushDetails(lease clientv3.LeaseID) time.Duration {
	s.mu.Lock()
	d := &s.details
	if d.latest == nil || d.seq == d.writtenSeq && d.written != nil {
		s.mu.Unlock()
		return 0
	}
	now := s.now()
	if !d.writtenAt.IsZero() {
		if wait := d.writtenAt.Add(detailEvery(s.opts.DetailInterval, s.opts.DetailBytesPerSecond, len(d.written))).Sub(now); wait > 0 {
			s.mu.Unlock()
			return wait
		}
	}
	latest, seq, written, wasTrimmed := d.latest, d.seq, d.written, d.trimmed
	s.mu.Unlock()

	b, dropped := encodeDetails(latest, maxDetailBytes)
	if dropped > 0 && !wasTrimmed {
		s.log.Warn("the detail of this node's probes is too large for one etcd value; GET /v1/health on other nodes shows the failing checks first and leaves some out", "checks", len(latest), "left_out", dropped)
	}
	var err error
	if !bytes.Equal(b, written) {
		ctx, cancel := context.WithTimeout(s.ctx, 3*time.Second)
		_, err = s.client.Put(ctx, s.keys.details(s.opts.Self.ID), string(b), clientv3.WithLease(lease))
		cancel()
		if err != nil {
			s.log.Debug("writing this node's probe detail to the cluster store", "err", err)
		}
	}
	s.mu.Lock()
	if s.lease == lease {
		d.writtenSeq, d.writtenAt, d.trimmed = seq, now, dropped > 0
		if err == nil {
			d.written = b
		}
	}
	s.mu.Unlock()
	return 0
}

// detailEvery is the least time between two writes of a detail key of
// size bytes: the interval, or longer for a key too large to write that
// often within perSecond bytes a second.
func detailEvery(interval time.Duration, perSecond, size int) time.Duration {
	return max(interval, time.Duration(size)*time.Second/time.Duration(perSecond))
}

// encodeDetails encodes d as a JSON object of check → Detail of at most
// limit bytes, failing checks first, then by name; it returns how many
// checks were left out to fit.
func encodeDetails(d map[string]Detail, limit int) ([]byte, int) {
	checks := slices.Collect(maps.Keys(d))
	slices.SortFunc(checks, func(a, b string) int {
		return cmp.Or(cmp.Compare(boolRank(d[a].Error == ""), boolRank(d[b].Error == "")), strings.Compare(a, b))
	})
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, c := range checks {
		k, _ := json.Marshal(c)
		// Milliseconds are precision enough for a person reading it.
		v, _ := json.Marshal(Detail{Latency: d[c].Latency, Error: d[c].Error, At: d[c].At.Truncate(time.Millisecond)})
		comma := min(buf.Len()-1, 1)
		if buf.Len()+comma+len(k)+1+len(v)+1 > limit {
			buf.WriteByte('}')
			return buf.Bytes(), len(checks) - i
		}
		if comma > 0 {
			buf.WriteByte(',')
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), 0
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Details returns a node's probe detail as its detail key holds it, nil
// when it has none. The state keeps the key as stored and decodes it only
// here: only GET /v1/health reads it, and at thousands of checks it is
// far larger than anything a verdict needs.
func (st *State) Details(node string) (map[string]Detail, error) {
	raw, ok := st.details[node]
	if !ok {
		return nil, nil
	}
	var d map[string]Detail
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("reading the probe detail of node %s: %w", node, err)
	}
	return d, nil
}
