package cluster

import (
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/health"
)

// obs builds the observations of a state: node → check → status.
func obs(m map[string]map[string]health.Status) map[string]map[string]Observation {
	out := map[string]map[string]Observation{}
	for n, checks := range m {
		out[n] = map[string]Observation{}
		for c, st := range checks {
			out[n][c] = Observation{Status: st, At: time.Unix(1e9, 0)}
		}
	}
	return out
}

func members(ids ...string) map[string]Member {
	out := map[string]Member{}
	for _, id := range ids {
		out[id] = Member{ID: id}
	}
	return out
}

func TestAggregateQuorum(t *testing.T) {
	t.Parallel()
	const (
		up      = health.Up
		down    = health.Down
		unknown = health.Unknown
	)
	tr := loadTraffic(t)
	now := time.Unix(2e9, 0)
	cases := []struct {
		name    string
		quorum  float64
		members map[string]Member
		obs     map[string]map[string]health.Status
		want    Verdict // Status, Up, Down of us-web
	}{
		{"1 up 1 down at 0.5 is a tie, healthy", 0.5, members("a", "b"),
			map[string]map[string]health.Status{"a": {"us-web": up}, "b": {"us-web": down}},
			Verdict{Status: up, Up: 1, Down: 1}},
		{"1 up 1 down at 0.75 is down", 0.75, members("a", "b"),
			map[string]map[string]health.Status{"a": {"us-web": up}, "b": {"us-web": down}},
			Verdict{Status: down, Up: 1, Down: 1}},
		{"2 up 1 down at 0.75 is down", 0.75, members("a", "b", "c"),
			map[string]map[string]health.Status{"a": {"us-web": up}, "b": {"us-web": up}, "c": {"us-web": down}},
			Verdict{Status: down, Up: 2, Down: 1}},
		{"3 up 1 down at 0.75 is exactly the quorum, up", 0.75, members("a", "b", "c", "d"),
			map[string]map[string]health.Status{"a": {"us-web": up}, "b": {"us-web": up}, "c": {"us-web": up}, "d": {"us-web": down}},
			Verdict{Status: up, Up: 3, Down: 1}},
		{"1 up 2 down at 0.5 is down", 0.5, members("a", "b", "c"),
			map[string]map[string]health.Status{"a": {"us-web": up}, "b": {"us-web": down}, "c": {"us-web": down}},
			Verdict{Status: down, Up: 1, Down: 2}},
		{"all down is down", 0.5, members("a", "b"),
			map[string]map[string]health.Status{"a": {"us-web": down}, "b": {"us-web": down}},
			Verdict{Status: down, Down: 2}},
		{"unknowns are ignored: up and unknown is up", 0.75, members("a", "b"),
			map[string]map[string]health.Status{"a": {"us-web": up}, "b": {"us-web": unknown}},
			Verdict{Status: up, Up: 1}},
		{"unknowns are ignored: down and unknown is down", 0.5, members("a", "b"),
			map[string]map[string]health.Status{"a": {"us-web": down}, "b": {"us-web": unknown}},
			Verdict{Status: down, Down: 1}},
		{"a node without this check is ignored", 0.5, members("a", "b"),
			map[string]map[string]health.Status{"a": {"us-web": down}, "b": {"eu-web": up}},
			Verdict{Status: down, Down: 1}},
		{"only unknowns is unknown", 0.5, members("a", "b"),
			map[string]map[string]health.Status{"a": {"us-web": unknown}, "b": {"us-web": unknown}},
			Verdict{Status: unknown}},
		{"no observations is unknown", 0.5, members("a", "b"), nil,
			Verdict{Status: unknown}},
		{"no members is unknown", 0.5, nil,
			map[string]map[string]health.Status{"a": {"us-web": up}},
			Verdict{Status: unknown}},
		{"a dead member's observations are ignored", 0.5, members("a"),
			map[string]map[string]health.Status{"a": {"us-web": up}, "dead": {"us-web": down}, "dead2": {"us-web": down}},
			Verdict{Status: up, Up: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newState()
			st.Traffic = tr
			if c.members != nil {
				st.Members = c.members
			}
			st.Observations = obs(c.obs)
			v := Aggregate(st, c.quorum, now)["us-web"]
			if v.Status != c.want.Status || v.Up != c.want.Up || v.Down != c.want.Down {
				t.Errorf("us-web: got %s up %d down %d (%s), want %s up %d down %d",
					v.Status, v.Up, v.Down, v.Reason, c.want.Status, c.want.Up, c.want.Down)
			}
			if v.Reason == "" {
				t.Error("verdict without a reason")
			}
		})
	}
}

func TestAggregateExternalAndCalculated(t *testing.T) {
	t.Parallel()
	const (
		up      = health.Up
		down    = health.Down
		unknown = health.Unknown
	)
	tr := loadTraffic(t)
	now := time.Unix(2e9, 0)
	pushed := func(healthy bool, expiresIn time.Duration) map[string]External {
		return map[string]External{"pushed": {Healthy: healthy, At: now.Add(-time.Second), Expires: now.Add(expiresIn)}}
	}
	cases := []struct {
		name     string
		obs      map[string]map[string]health.Status // nodes a and b are members
		external map[string]External
		want     map[string]health.Status
	}{
		{"pushed healthy", nil, pushed(true, time.Minute),
			map[string]health.Status{"pushed": up}},
		{"pushed unhealthy", nil, pushed(false, time.Minute),
			map[string]health.Status{"pushed": down}},
		{"pushed healthy but expired is down", nil, pushed(true, -time.Millisecond),
			map[string]health.Status{"pushed": down}},
		{"pushed healthy expiring exactly now is down", nil, pushed(true, 0),
			map[string]health.Status{"pushed": down}},
		{"nothing pushed is unknown", nil, nil,
			map[string]health.Status{"pushed": unknown, "us-web": unknown, "either": unknown, "all": unknown}},
		{"a pushed status of another check does not count", nil,
			map[string]External{"other": {Healthy: true, At: now, Expires: now.Add(time.Minute)}},
			map[string]health.Status{"pushed": unknown}},
		{"calculated: one child up of min 1 is up",
			map[string]map[string]health.Status{"a": {"us-web": up, "eu-web": down}, "b": {"us-web": up, "eu-web": down}}, nil,
			map[string]health.Status{"us-web": up, "eu-web": down, "either": up}},
		{"calculated: both children down is down",
			map[string]map[string]health.Status{"a": {"us-web": down, "eu-web": down}}, nil,
			map[string]health.Status{"us-web": down, "eu-web": down, "either": down}},
		{"calculated: a down and an unknown child is unknown",
			map[string]map[string]health.Status{"a": {"us-web": down}}, nil,
			map[string]health.Status{"us-web": down, "eu-web": unknown, "either": unknown}},
		{"calculated follows the children's quorum verdicts, not raw observations",
			map[string]map[string]health.Status{"a": {"us-web": up, "eu-web": down}, "b": {"us-web": down, "eu-web": down}}, nil,
			map[string]health.Status{"us-web": up, "eu-web": down, "either": up}},
		{"nested calculated over a calculated and an external child: both up",
			map[string]map[string]health.Status{"a": {"us-web": up}}, pushed(true, time.Minute),
			map[string]health.Status{"either": up, "pushed": up, "all": up}},
		{"nested calculated: the external child expired",
			map[string]map[string]health.Status{"a": {"us-web": up}}, pushed(true, -time.Second),
			map[string]health.Status{"either": up, "pushed": down, "all": down}},
		{"nested calculated: the calculated child down",
			map[string]map[string]health.Status{"a": {"us-web": down, "eu-web": down}}, pushed(true, time.Minute),
			map[string]health.Status{"either": down, "pushed": up, "all": down}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newState()
			st.Traffic = tr
			st.Members = members("a", "b")
			st.Observations = obs(c.obs)
			if c.external != nil {
				st.External = c.external
			}
			got := Aggregate(st, 0.5, now)
			if len(got) != len(tr.Checks) {
				t.Errorf("%d verdicts for %d checks: %v", len(got), len(tr.Checks), got)
			}
			for check, want := range c.want {
				if v := got[check]; v.Status != want {
					t.Errorf("%s: got %s (%s), want %s", check, v.Status, v.Reason, want)
				}
			}
		})
	}
}

func TestAggregateWithoutTraffic(t *testing.T) {
	t.Parallel()
	if got := Aggregate(nil, 0.5, time.Now()); len(got) != 0 {
		t.Errorf("nil state: %v", got)
	}
	st := newState()
	st.Members = members("a")
	st.Observations = obs(map[string]map[string]health.Status{"a": {"us-web": health.Up}})
	if got := Aggregate(st, 0.5, time.Now()); len(got) != 0 {
		t.Errorf("no traffic document: %v", got)
	}
}
