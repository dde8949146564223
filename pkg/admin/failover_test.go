package admin_test

import (
	"cmp"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
)

// failoverTraffic has one endpoint of every kind of detection.
const failoverTraffic = `zones:
  - name: example.com.
    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}
    ns: [ns1.example.com.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
services:
  - name: www.example.com.
    policy: failover
    ttl: 30
    endpoints:
      - {id: probed, priority: 1, a: [198.51.100.10], check: web}
      - {id: defaults, priority: 2, a: [198.51.100.11], check: plain}
      - {id: both, priority: 3, a: [198.51.100.12], check: both}
      - {id: pushed, priority: 4, a: [198.51.100.13], check: pushed}
      - {id: mixed, priority: 5, a: [198.51.100.14], check: mixed}
      - {id: bare, priority: 6, a: [198.51.100.15]}
  - name: api.example.com.
    policy: failover
    endpoints:
      - {id: a, a: [198.51.100.20], check: web}
checks:
  - {name: web, type: http, url: "http://198.51.100.10/", interval: 1s, timeout: 500ms, fall: 3}
  - {name: plain, type: tcp, address: "198.51.100.11:80"}
  - {name: slow, type: tcp, address: "198.51.100.12:80", interval: 5s, timeout: 2s, fall: 2}
  - {name: both, type: calculated, children: [web, slow], min_healthy: 1}
  - {name: pushed, type: external}
  - {name: mixed, type: calculated, children: [web, pushed], min_healthy: 1}
`

// TestNewFailoverBound: each kind of check's detection, the TTL, and the
// propagation assumed before any measurement and measured after.
func TestNewFailoverBound(t *testing.T) {
	doc, err := config.ParseTraffic("failover.yaml", []byte(failoverTraffic), "")
	if err != nil {
		t.Fatal(err)
	}
	secs := func(f float64) *float64 { return &f }
	tests := []struct {
		name     string
		prop     admin.Propagation
		endpoint string
		// detection and worst are nil when no probe detects the failure.
		detection, worst *float64
		how              string
	}{
		{"probed, assumed propagation", admin.Propagation{}, "probed", secs(3.5), secs(3.5 + 1 + 30), "fall 3 × interval 1s + timeout 500ms"},
		{"probed, measured", admin.Propagation{P99: 250 * time.Millisecond, Samples: 4}, "probed", secs(3.5), secs(3.5 + 0.25 + 30), "check web"},
		{"defaults applied", admin.Propagation{}, "defaults", secs(22), secs(22 + 1 + 30), "fall 2 × interval 10s + timeout 2s"},
		{"calculated: slowest child", admin.Propagation{}, "both", secs(12), secs(12 + 1 + 30), "its slowest child, check slow"},
		{"external", admin.Propagation{}, "pushed", nil, nil, "external check pushed"},
		{"calculated over an external child", admin.Propagation{}, "mixed", nil, nil, "child external check pushed"},
		{"no check", admin.Propagation{}, "bare", nil, nil, "only a drain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fb, err := admin.NewFailoverBound(doc, "www.example.com.", tc.prop)
			if err != nil {
				t.Fatal(err)
			}
			if fb.TTL != 30 || fb.Samples != tc.prop.Samples || len(fb.Endpoints) != 6 {
				t.Fatalf("bound: %+v", fb)
			}
			measured := tc.prop.Samples > 0
			if (fb.PropagationP99 != nil) != measured || (fb.Note == "") != measured {
				t.Errorf("propagation %v, note %q; measured %v", fb.PropagationP99, fb.Note, measured)
			}
			var e admin.FailoverEndpoint
			for _, x := range fb.Endpoints {
				if x.ID == tc.endpoint {
					e = x
				}
			}
			if !sameSeconds(e.DetectionSeconds, tc.detection) || !sameSeconds(e.WorstCaseSeconds, tc.worst) {
				t.Errorf("detection %v, worst %v; want %v, %v", show(e.DetectionSeconds), show(e.WorstCaseSeconds), show(tc.detection), show(tc.worst))
			}
			if !strings.Contains(e.Detection, tc.how) {
				t.Errorf("detection says %q, want it to hold %q", e.Detection, tc.how)
			}
			if e.PropagationMeasured != measured || e.TTLSeconds != 30 {
				t.Errorf("endpoint: %+v", e)
			}
		})
	}

	fb, err := admin.NewFailoverBound(doc, "api.example.com.", admin.Propagation{})
	if err != nil || fb.TTL != config.DefaultServiceTTL {
		t.Errorf("a service without a ttl: %+v, %v", fb, err)
	}
	for _, name := range []string{"nope.example.com.", "www.example.com"} {
		if _, err := admin.NewFailoverBound(doc, name, admin.Propagation{}); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("service %s: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := admin.NewFailoverBound(nil, "www.example.com.", admin.Propagation{}); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("no document: %v, want ErrNotFound", err)
	}
}

func sameSeconds(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	d := *a - *b
	return d > -1e-9 && d < 1e-9
}

func show(f *float64) any {
	if f == nil {
		return "null"
	}
	return *f
}

// TestFailoverRoute: the service is found with or without its dot and in
// any case; an unknown one is 404; a bad name 400.
func TestFailoverRoute(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})
	for _, path := range []string{"/v1/services/www.example.com./failover", "/v1/services/WWW.example.com/failover"} {
		var fb admin.FailoverBound
		a.get(path).decode(t, 200, &fb)
		if fb.Service != "www.example.com." || fb.TTL != 30 || len(fb.Endpoints) != 2 || fb.PropagationP99 != nil {
			t.Errorf("%s: %+v", path, fb)
		}
		if e := fb.Endpoints[0]; e.ID != "us-east" || e.DetectionSeconds == nil || *e.DetectionSeconds != 22 || e.PropagationMeasured {
			t.Errorf("%s: us-east %+v", path, e)
		}
	}
	r := a.get("/v1/services/www.example.com/failover")
	if !strings.Contains(string(r.body), `"propagation_p99_seconds": null`) || !strings.Contains(string(r.body), `"worst_case_seconds": null`) {
		t.Errorf("unmeasured and undetected figures are not null: %s", r.body)
	}

	b.SetPropagation(admin.Propagation{P99: 300 * time.Millisecond, Samples: 7})
	var fb admin.FailoverBound
	a.get("/v1/services/www.example.com/failover").decode(t, 200, &fb)
	if fb.PropagationP99 == nil || *fb.PropagationP99 != 0.3 || fb.Samples != 7 || !fb.Endpoints[0].PropagationMeasured || *fb.Endpoints[0].WorstCaseSeconds != 22+0.3+30 {
		t.Errorf("measured: %+v %+v", fb, fb.Endpoints[0])
	}

	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/v1/services/nope.example.com/failover", 404},
		{"/v1/services/%20/failover", 400},
	} {
		if r := a.get(tc.path); r.status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.path, r.status, tc.status, r.body)
		}
	}
	b.SetErr(admin.ErrUnavailable)
	if r := a.get("/v1/services/www.example.com/failover"); r.status != 503 {
		t.Errorf("store away: %d", r.status)
	}
}

// TestFailoverAllNodes: with ?all_nodes=1 the bound takes the slowest
// node's measured propagation; a node with none measured adds nothing, and
// one that cannot be asked is listed with why.
func TestFailoverAllNodes(t *testing.T) {
	b1, b2, b3 := admintest.New("n1", nil), admintest.New("n2", nil), admintest.New("n3", nil)
	s2, s3 := admintest.NewServer(t, b2, admin.Options{}), admintest.NewServer(t, b3, admin.Options{})
	peers := peerClient(t, nil, s2.URL, s3.URL)
	b1.AddMember(member.Member{ID: "n2", Admin: s2.URL})
	b1.AddMember(member.Member{ID: "n3", Admin: s3.URL})
	a := newAPI(t, b1, admin.Options{Peers: peers})
	secs := func(f float64) *float64 { return &f }

	tests := []struct {
		name       string
		p1, p2, p3 admin.Propagation
		n3Admin    string
		p99        *float64
		samples    int
		n3Error    string
	}{
		{name: "none measured"},
		{name: "the slowest node's p99", p1: admin.Propagation{P99: 200 * time.Millisecond, Samples: 3}, p2: admin.Propagation{P99: 900 * time.Millisecond, Samples: 2},
			p99: secs(0.9), samples: 5},
		{name: "a node not asked", p2: admin.Propagation{P99: 400 * time.Millisecond, Samples: 1}, p3: admin.Propagation{P99: 5 * time.Second, Samples: 9},
			n3Admin: "http://192.0.2.1:8300", p99: secs(0.4), samples: 1, n3Error: "not asked: http://192.0.2.1:8300 is not in admin.peers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b1.SetPropagation(tc.p1)
			b2.SetPropagation(tc.p2)
			b3.SetPropagation(tc.p3)
			b1.SetMemberAdmin("n3", cmp.Or(tc.n3Admin, s3.URL))
			var fb admin.FailoverBound
			a.get("/v1/services/www.example.com/failover?all_nodes=1").decode(t, 200, &fb)
			if len(fb.Nodes) != 3 || fb.Nodes[0].Node != "n1" || fb.Nodes[1].Node != "n2" || fb.Nodes[2].Node != "n3" {
				t.Fatalf("nodes: %+v", fb.Nodes)
			}
			if !sameSeconds(fb.PropagationP99, tc.p99) || fb.Samples != tc.samples {
				t.Errorf("propagation %v over %d, want %v over %d", show(fb.PropagationP99), fb.Samples, show(tc.p99), tc.samples)
			}
			e := fb.Endpoints[0]
			wantProp := 1.0
			if tc.p99 != nil {
				wantProp = *tc.p99
			}
			if e.PropagationMeasured != (tc.p99 != nil) || !sameSeconds(e.WorstCaseSeconds, secs(22+wantProp+30)) {
				t.Errorf("us-east: %+v (worst %v)", e, show(e.WorstCaseSeconds))
			}
			if !strings.HasPrefix(fb.Nodes[2].Error, tc.n3Error) || (tc.n3Error == "") != (fb.Nodes[2].Error == "") {
				t.Errorf("n3: %+v, want error %q", fb.Nodes[2], tc.n3Error)
			}
			if tc.n3Error != "" && !strings.Contains(fb.Note, "n3 gave no figure") {
				t.Errorf("note: %q", fb.Note)
			}
		})
	}
	a.get("/v1/services/www.example.com/failover?all_nodes=maybe").refused(t, 400, `all_nodes="maybe": want 1 or 0`)
}
