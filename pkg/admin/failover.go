package admin

import "net/http"

// FailoverBound is the answer to GET /v1/services/{service}/failover: for
// each endpoint, the worst case from its region going dark to every
// resolver having stopped using it, and the parts that make it up.
type FailoverBound struct {
	Service string `json:"service"`
	// TTL is the service's record TTL in seconds: how long a resolver may
	// keep an answer that still holds the endpoint.
	TTL uint32 `json:"ttl"`
	// PropagationP99 is the 99th percentile of the measured times from
	// the cluster's verdict on a check turning down (the node whose result
	// tipped the quorum turning it down) to this node serving without its
	// endpoint, over the recent samples of every service; null before the
	// first sample.
	PropagationP99 *float64 `json:"propagation_p99_seconds"`
	// Samples is how many measured failovers PropagationP99 is drawn
	// from.
	Samples   int                `json:"samples"`
	Endpoints []FailoverEndpoint `json:"endpoints"`
	// Note says how to read the figures, such as that propagation is
	// assumed until a failover has been measured.
	Note string `json:"note,omitempty"`
}

// FailoverEndpoint is one endpoint's bound. WorstCase is Detection plus
// PropagationP99 plus TTLSeconds; it and Detection are null when no probe
// of this cluster detects the endpoint's failure (no check, or an
// external one), and Detection then says what does.
type FailoverEndpoint struct {
	ID    string `json:"id"`
	Check string `json:"check,omitempty"`
	// DetectionSeconds is fall × interval + timeout of the endpoint's
	// check (the largest over a calculated check's children).
	DetectionSeconds *float64 `json:"detection_seconds"`
	// Detection says how DetectionSeconds was reached, or why there is
	// none.
	Detection      string  `json:"detection"`
	PropagationP99 float64 `json:"propagation_p99_seconds"`
	// PropagationMeasured is false while PropagationP99 is the assumed
	// 1 s, before this node has measured a failover.
	PropagationMeasured bool     `json:"propagation_measured"`
	TTLSeconds          uint32   `json:"ttl_seconds"`
	WorstCaseSeconds    *float64 `json:"worst_case_seconds"`
}

func (s *server) getFailover(w http.ResponseWriter, r *http.Request) {
	service := ServiceName(r.PathValue("service"))
	if service == "" || service == "." {
		writeError(w, http.StatusBadRequest, "the path needs a service: /v1/services/{service}/failover")
		return
	}
	fb, err := s.backend.Failover(r.Context(), service)
	if err != nil {
		s.fail(w, r, "service "+service, err)
		return
	}
	if fb.Endpoints == nil {
		fb.Endpoints = []FailoverEndpoint{}
	}
	writeJSON(w, http.StatusOK, fb)
}
