package admin_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
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
