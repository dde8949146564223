package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/health"
)

// OperatorBackend is the part of a Backend that drains whole regions and
// keeps the audit trail; pkg/node implements it. A Backend without it
// answers those calls with 501.
type OperatorBackend interface {
	// SetRegionOverride forces every endpoint whose region is region
	// down or up, in every service; ErrNotFound when no endpoint has
	// that region.
	SetRegionOverride(ctx context.Context, region string, o health.Override) error
	// DeleteRegionOverride clears it; ErrNoOverride when there was none
	// and the region is one of the document's, ErrNotFound (see
	// FindRegion) when it is neither.
	DeleteRegionOverride(ctx context.Context, region string) error
	// Audit returns the newest limit entries of the audit trail (every
	// kept one when limit <= 0), oldest first.
	Audit(ctx context.Context, limit int) ([]audit.Entry, error)
}

// RegionOverrideResult is the answer to PUT and DELETE of a region's
// override; Override is null once cleared.
type RegionOverrideResult struct {
	Region   string           `json:"region"`
	Override *health.Override `json:"override"`
	// NoOverride says a DELETE found no override to clear.
	NoOverride bool `json:"no_override,omitempty"`
}

const errNoOperator = "this node does not keep region overrides or an audit trail"

// MaxAuditLimit bounds ?limit= of GET /v1/audit.
const MaxAuditLimit = audit.DefaultKeep

func (s *server) operatorCall(w http.ResponseWriter, r *http.Request) (OperatorBackend, string, bool) {
	if s.operator == nil {
		writeError(w, http.StatusNotImplemented, errNoOperator)
		return nil, "", false
	}
	region := strings.TrimSpace(r.PathValue("region"))
	if region == "" {
		writeError(w, http.StatusBadRequest, "the path needs a region: /v1/regions/{region}/override")
		return nil, "", false
	}
	return s.operator, region, true
}

func (s *server) putRegionOverride(w http.ResponseWriter, r *http.Request) {
	ob, region, ok := s.operatorCall(w, r)
	if !ok {
		return
	}
	o, ok := s.readOverride(w, r)
	if !ok {
		return
	}
	if err := ob.SetRegionOverride(withReason(r, o.Reason).Context(), region, o); err != nil {
		s.fail(w, r, "region "+region, err)
		return
	}
	writeJSON(w, http.StatusOK, RegionOverrideResult{Region: region, Override: &o})
}

func (s *server) deleteRegionOverride(w http.ResponseWriter, r *http.Request) {
	ob, region, ok := s.operatorCall(w, r)
	if !ok {
		return
	}
	err := ob.DeleteRegionOverride(r.Context(), region)
	if err != nil && !errors.Is(err, ErrNoOverride) {
		s.fail(w, r, "override of region "+region, err)
		return
	}
	// As for an endpoint: nothing to clear leaves what was asked for.
	writeJSON(w, http.StatusOK, RegionOverrideResult{Region: region, NoOverride: err != nil})
}

func (s *server) getAudit(w http.ResponseWriter, r *http.Request) {
	if s.operator == nil {
		writeError(w, http.StatusNotImplemented, errNoOperator)
		return
	}
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAuditLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want a whole number from 1 to %d", v, MaxAuditLimit))
			return
		}
		limit = n
	}
	entries, err := s.operator.Audit(r.Context(), limit)
	if err != nil {
		s.fail(w, r, "audit trail", err)
		return
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	writeJSON(w, http.StatusOK, entries)
}

// readOverride reads the body of an override, endpoint or region,
// answering 400 itself.
func (s *server) readOverride(w http.ResponseWriter, r *http.Request) (health.Override, bool) {
	var req OverrideRequest
	if !s.decodeJSON(w, r, &req) {
		return health.Override{}, false
	}
	state := strings.ToLower(strings.TrimSpace(req.State))
	if state != health.OverrideDown && state != health.OverrideUp {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("state %q: want down (drain) or up (force up)", req.State))
		return health.Override{}, false
	}
	return health.Override{State: state, Reason: req.Reason, At: time.Now().UTC()}, true
}
