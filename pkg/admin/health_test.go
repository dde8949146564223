package admin_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
)

func TestHealthAndOverrides(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})

	var hl admin.HealthList
	a.get("/v1/health").decode(t, 200, &hl)
	if len(hl.Endpoints) != 2 || !hl.Endpoints[0].Healthy || hl.Endpoints[0].Endpoint != "us-east" || len(hl.Endpoints[0].Observations) != 1 {
		t.Fatalf("health: %+v", hl)
	}

	// Drain, with the service named in any case and without the dot.
	r := a.putJSON("/v1/overrides/WWW.Example.com/us-east", `{"state": "down", "reason": "maintenance"}`)
	var or admin.OverrideResult
	r.decode(t, 200, &or)
	if or.Service != "www.example.com." || or.Endpoint != "us-east" || or.Override == nil || or.Override.State != "down" || or.Override.Reason != "maintenance" || or.Override.At.IsZero() {
		t.Errorf("override result: %+v", or)
	}
	overrideKeys(t, r.body, "at", "reason", "state")
	if o, ok := b.Override("www.example.com.", "us-east"); !ok || o.State != "down" {
		t.Errorf("backend override: %+v %v", o, ok)
	}
	a.get("/v1/health").decode(t, 200, &hl)
	if hl.Endpoints[0].Healthy || hl.Endpoints[0].Override == nil || hl.Endpoints[0].Reason != "override down: maintenance" {
		t.Errorf("health after drain: %+v", hl.Endpoints[0])
	}
	// Force up, with the trailing dot; a body without Content-Type is JSON.
	r = a.do(http.MethodPut, "/v1/overrides/www.example.com./eu-west", `{"state":"UP"}`)
	r.decode(t, 200, &or)
	if or.Override.State != "up" {
		t.Errorf("force up: %+v", or)
	}
	overrideKeys(t, r.body, "at", "state")

	r = a.do(http.MethodDelete, "/v1/overrides/www.example.com/us-east", "")
	r.decode(t, 200, &or)
	if or.Override != nil || !strings.Contains(string(r.body), `"override": null`) {
		t.Errorf("delete: %s", r.body)
	}
	if _, ok := b.Override("www.example.com.", "us-east"); ok {
		t.Errorf("override not cleared")
	}

	// Refusals.
	// Clearing no override is no failure, and says so.
	r = a.do(http.MethodDelete, "/v1/overrides/www.example.com/us-east", "")
	or = admin.OverrideResult{}
	r.decode(t, 200, &or)
	if !or.NoOverride || or.Override != nil {
		t.Errorf("delete of no override: %s", r.body)
	}
	a.do(http.MethodDelete, "/v1/overrides/www.example.com/ap-south", "").
		refused(t, 404, "service www.example.com. has no endpoint ap-south; its endpoints are us-east, eu-west: not found")
	a.putJSON("/v1/overrides/www.example.com/ap-south", `{"state":"down"}`).
		refused(t, 404, "service www.example.com. has no endpoint ap-south; its endpoints are us-east, eu-west: not found")
	a.putJSON("/v1/overrides/nope.example.com/us-east", `{"state":"down"}`).
		refused(t, 404, "no service nope.example.com.: not found")
	a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":"drained"}`).
		refused(t, 400, `state "drained": want down (drain) or up (force up)`)
	a.putJSON("/v1/overrides/www.example.com/us-east", `{}`).
		refused(t, 400, `state "": want down (drain) or up (force up)`)
	a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":"down","until":"never"}`).
		refused(t, 400, `the body is not the JSON this call takes: json: unknown field "until"`)
	a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":`).
		refused(t, 400, "the body is not the JSON this call takes: unexpected EOF")
	a.putJSON("/v1/overrides/www.example.com/us-east", ``).
		refused(t, 400, "the body is not the JSON this call takes: the body is empty")
	a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":"down"} {}`).
		refused(t, 400, "the body holds more than one JSON value")
	a.do(http.MethodPut, "/v1/overrides/www.example.com/us-east", `state: down`, "Content-Type", "application/yaml").
		refused(t, 415, `send the body as application/json, not "application/yaml"`)
	a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":"down","reason":"`+strings.Repeat("x", admin.DefaultMaxBodyBytes)+`"}`).
		refused(t, 413, "the body is larger than the limit of 4194304 bytes")
	a.putJSON("/v1/overrides/www.example.com", `{"state":"down"}`).refused(t, 404, "")
}

func TestCheckStatus(t *testing.T) {
	b := admintest.New("n1", nil)
	a := newAPI(t, b, admin.Options{})

	r := a.putJSON("/v1/checks/pushed/status", `{"healthy": false, "ttl": "45s"}`)
	var res admin.CheckStatusResult
	r.decode(t, 200, &res)
	if res.Check != "pushed" || res.Healthy || res.TTL != "45s" || time.Until(res.Expires) > 45*time.Second || time.Until(res.Expires) < 30*time.Second {
		t.Errorf("result: %+v", res)
	}
	if h, ttl, ok := b.External("pushed"); !ok || h || ttl != 45*time.Second {
		t.Errorf("backend: %v %v %v", h, ttl, ok)
	}
	var hl admin.HealthList
	a.get("/v1/health").decode(t, 200, &hl)
	if hl.Endpoints[1].Healthy {
		t.Errorf("eu-west healthy after its external check was pushed down")
	}

	a.putJSON("/v1/checks/us-web/status", `{"healthy":true,"ttl":"30s"}`).
		refused(t, 409, "check us-web is of type http: the check is not of type external")
	a.putJSON("/v1/checks/nope/status", `{"healthy":true,"ttl":"30s"}`).
		refused(t, 404, "no check nope: not found")
	for body, msg := range map[string]string{
		`{"healthy":true,"ttl":"soon"}`:     `ttl "soon": want a duration such as "30s", above 0 and at most 24h0m0s`,
		`{"healthy":true,"ttl":"-5s"}`:      `ttl "-5s": want a duration such as "30s", above 0 and at most 24h0m0s`,
		`{"healthy":true,"ttl":"48h"}`:      `ttl "48h": want a duration such as "30s", above 0 and at most 24h0m0s`,
		`{"healthy":true}`:                  `ttl is required: how long the status holds, such as "30s"`,
		`{"ttl":"30s"}`:                     `healthy is required: true or false`,
		`{"healthy":"yes","ttl":"30s"}`:     `the body is not the JSON this call takes: json: cannot unmarshal string into Go struct field CheckStatusRequest.healthy of type bool`,
		`{"healthy":true,"ttl":30}`:         `the body is not the JSON this call takes: json: cannot unmarshal number into Go struct field CheckStatusRequest.ttl of type string`,
		`{"healthy":true,"ttl":"1s","x":1}`: `the body is not the JSON this call takes: json: unknown field "x"`,
	} {
		a.putJSON("/v1/checks/pushed/status", body).refused(t, 400, msg)
	}
	a.do(http.MethodPut, "/v1/checks/pushed/status", `healthy=true`, "Content-Type", "text/plain").refused(t, 415, `send the body as application/json, not "text/plain"`)
}

func TestMembers(t *testing.T) {
	b := admintest.New("n1", nil)
	b.AddMember(member.Member{ID: "n2", Region: "eu", Admin: "http://192.0.2.2:8300", LastSeen: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	a := newAPI(t, b, admin.Options{})
	var ml admin.MemberList
	a.get("/v1/members").decode(t, 200, &ml)
	if len(ml.Members) != 2 || ml.Members[1].ID != "n2" || ml.Members[1].Region != "eu" || ml.Members[1].Revision != 1 || !ml.Members[1].LastSeen.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("members: %+v", ml)
	}
}

// overrideKeys checks the fields of the override an answer carries, as
// clients of the API read them.
func overrideKeys(t *testing.T, body []byte, want ...string) {
	t.Helper()
	var res struct {
		Override map[string]json.RawMessage `json:"override"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(res.Override)); !slices.Equal(got, want) {
		t.Errorf("override fields %v, want %v: %s", got, want, body)
	}
}
