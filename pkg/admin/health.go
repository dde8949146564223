package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/health"
)

// HealthList is the answer to GET /v1/health.
type HealthList struct {
	Endpoints []EndpointStatus `json:"endpoints"`
}

// MemberList is the answer to GET /v1/members.
type MemberList struct {
	Members []member.Member `json:"members"`
}

// OverrideRequest is the body of PUT /v1/overrides/{service}/{endpoint}.
type OverrideRequest struct {
	// State is down (drain) or up (force up).
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// OverrideResult is the answer to PUT and DELETE of an override; Override
// is null once cleared.
type OverrideResult struct {
	Service  string           `json:"service"`
	Endpoint string           `json:"endpoint"`
	Override *health.Override `json:"override"`
	// NoOverride says a DELETE found no override to clear.
	NoOverride bool `json:"no_override,omitempty"`
}

// CheckStatusRequest is the body of PUT /v1/checks/{name}/status.
type CheckStatusRequest struct {
	Healthy *bool `json:"healthy"`
	// TTL is how long the status holds, as a Go duration ("30s").
	TTL string `json:"ttl"`
	// Reason is why, for the audit trail.
	Reason string `json:"reason,omitempty"`
}

// CheckStatusResult is the answer to PUT /v1/checks/{name}/status.
type CheckStatusResult struct {
	Check   string    `json:"check"`
	Healthy bool      `json:"healthy"`
	TTL     string    `json:"ttl"`
	Expires time.Time `json:"expires"`
}

// MaxExternalTTL bounds the TTL of an external check's status.
const MaxExternalTTL = 24 * time.Hour

func (s *server) getHealth(w http.ResponseWriter, r *http.Request) {
	eps, err := s.backend.Health(r.Context())
	if err != nil {
		s.fail(w, r, "health", err)
		return
	}
	if eps == nil {
		eps = []EndpointStatus{}
	}
	writeJSON(w, http.StatusOK, HealthList{Endpoints: eps})
}

func (s *server) getMembers(w http.ResponseWriter, r *http.Request) {
	ms, err := s.backend.Members(r.Context())
	if err != nil {
		s.fail(w, r, "members", err)
		return
	}
	if ms == nil {
		ms = []member.Member{}
	}
	writeJSON(w, http.StatusOK, MemberList{Members: ms})
}

func (s *server) putOverride(w http.ResponseWriter, r *http.Request) {
	service, endpoint, ok := overridePath(w, r)
	if !ok {
		return
	}
	o, ok := s.readOverride(w, r)
	if !ok {
		return
	}
	if err := s.backend.SetOverride(withReason(r, o.Reason).Context(), service, endpoint, o); err != nil {
		s.fail(w, r, "endpoint "+endpoint+" of service "+service, err)
		return
	}
	writeJSON(w, http.StatusOK, OverrideResult{Service: service, Endpoint: endpoint, Override: &o})
}

func (s *server) deleteOverride(w http.ResponseWriter, r *http.Request) {
	service, endpoint, ok := overridePath(w, r)
	if !ok {
		return
	}
	err := s.backend.DeleteOverride(r.Context(), service, endpoint)
	if err != nil && !errors.Is(err, ErrNoOverride) {
		s.fail(w, r, "override of endpoint "+endpoint+" of service "+service, err)
		return
	}
	// Clearing what is not there leaves what was asked for: the checks
	// decide. That is a success, which says there was nothing to clear.
	writeJSON(w, http.StatusOK, OverrideResult{Service: service, Endpoint: endpoint, NoOverride: err != nil})
}

func (s *server) putCheckStatus(w http.ResponseWriter, r *http.Request) {
	name := checkName(r.PathValue("name"))
	if name == "" {
		writeError(w, http.StatusBadRequest, "the check name is empty")
		return
	}
	var req CheckStatusRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if req.Healthy == nil {
		writeError(w, http.StatusBadRequest, `healthy is required: true or false`)
		return
	}
	if req.TTL == "" {
		writeError(w, http.StatusBadRequest, `ttl is required: how long the status holds, such as "30s"`)
		return
	}
	ttl, err := time.ParseDuration(req.TTL)
	if err != nil || ttl <= 0 || ttl > MaxExternalTTL {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ttl %q: want a duration such as \"30s\", above 0 and at most %s", req.TTL, MaxExternalTTL))
		return
	}
	if req.Reason != "" {
		r = withReason(r, req.Reason)
	}
	if err := s.backend.SetExternal(r.Context(), name, *req.Healthy, ttl); err != nil {
		s.fail(w, r, "check "+name, err)
		return
	}
	writeJSON(w, http.StatusOK, CheckStatusResult{Check: name, Healthy: *req.Healthy, TTL: ttl.String(), Expires: time.Now().Add(ttl).UTC()})
}

// overridePath reads {service} and {endpoint}, answering 400 itself.
func overridePath(w http.ResponseWriter, r *http.Request) (service, endpoint string, ok bool) {
	service = ServiceName(r.PathValue("service"))
	endpoint = r.PathValue("endpoint")
	if service == "" || endpoint == "" {
		writeError(w, http.StatusBadRequest, "the path needs a service and an endpoint: /v1/overrides/{service}/{endpoint}")
		return "", "", false
	}
	return service, endpoint, true
}

// ServiceName normalizes a service name given by an operator: lower case,
// fully qualified, so "WWW.example.com" is "www.example.com.".
func ServiceName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "." {
		return s
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// checkName is a check name as given; names are identifiers, not domain
// names, so there is nothing to normalize.
func checkName(s string) string { return strings.TrimSpace(s) }

// decodeJSON reads a JSON request body into v, refusing other media types
// (415), bodies over the limit (413) and unknown or malformed fields
// (400). A body without Content-Type is read as JSON, for curl -d users.
func (s *server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/x-www-form-urlencoded" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != mediaJSON {
			writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("send the body as application/json, not %q", ct))
			return false
		}
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if err == io.EOF {
			msg = "the body is empty"
		}
		writeError(w, http.StatusBadRequest, "the body is not the JSON this call takes: "+msg)
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "the body holds more than one JSON value")
		return false
	}
	return true
}
