package health_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/health"
)

func TestTrust(t *testing.T) {
	t.Parallel()
	// conn is one report of the store: reachable or not, at a revision.
	type conn struct {
		ok  bool
		rev int64
	}
	own := map[string]health.Observation{"web": {Status: health.Up, At: time.Unix(3e9, 0)}}
	stored := map[string]map[string]health.Observation{
		"self": {"web": {Status: health.Down, At: time.Unix(1e9, 0)}}, // stale: own replaces it
		"old":  {"web": {Status: health.Down}},                        // wrote at 40
		"new":  {"web": {Status: health.Up}},                          // wrote at 60
		"dead": {"web": {Status: health.Down}},                        // wrote at 70, lease gone
	}
	written := map[string]int64{"self": 30, "old": 40, "new": 60, "dead": 70}
	members := map[string]bool{"self": true, "old": true, "new": true}
	live := func(node string) bool { return members[node] }
	cases := []struct {
		name  string
		conns []conn
		live  func(string) bool
		want  []string // nodes counted besides self
	}{
		{"never connected: only our own results", nil, live, nil},
		{"cut off from the start: only our own", []conn{{false, 0}}, live, nil},
		{"first connection trusts every live member, not the dead one", []conn{{true, 50}}, live, []string{"new", "old"}},
		{"first connection after starting cut off trusts everyone too", []conn{{false, 0}, {true, 50}}, live, []string{"new", "old"}},
		{"outage: only our own", []conn{{true, 10}, {false, 0}}, live, nil},
		{"back: only nodes that wrote since the return", []conn{{true, 10}, {false, 0}, {true, 50}}, live, []string{"new"}},
		{"back at a revision past every write: nobody yet", []conn{{true, 10}, {false, 0}, {true, 60}}, live, nil},
		{"being told the same connection again does not move the mark", []conn{{true, 10}, {false, 0}, {true, 50}, {true, 50}}, live, []string{"new"}},
		{"a connection at a new revision is a return, even unseen", []conn{{true, 10}, {true, 50}}, live, []string{"new"}},
		{"cut off again after a return: only our own", []conn{{true, 10}, {false, 0}, {true, 50}, {false, 0}}, live, nil},
		{"a second outage and return moves the mark", []conn{{true, 10}, {false, 0}, {true, 30}, {false, 0}, {true, 50}}, live, []string{"new"}},
		{"no live set: no other node", []conn{{true, 10}}, nil, nil},
		{"live decides: a member counted live counts", []conn{{true, 10}}, func(string) bool { return true }, []string{"dead", "new", "old"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tr health.Trust
			for _, cn := range c.conns {
				tr = tr.Connected(cn.ok, cn.rev)
			}
			got := tr.Counted("self", own, stored, written, c.live)
			if !maps.Equal(got["self"], own) {
				t.Errorf("self counts %v, want our own %v", got["self"], own)
			}
			delete(got, "self")
			if nodes := slices.Sorted(maps.Keys(got)); !slices.Equal(nodes, c.want) {
				t.Errorf("counted %v, want %v", nodes, c.want)
			}
			for n, obs := range got {
				if !maps.Equal(obs, stored[n]) {
					t.Errorf("%s counts %v, stored %v", n, obs, stored[n])
				}
			}
		})
	}
}
