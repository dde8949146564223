package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/member"
)

// FailoverBound is the answer to GET /v1/services/{service}/failover: for
// each endpoint, the worst case from its region going dark to every
// resolver having stopped using it, and the parts that make it up.
type FailoverBound struct {
	// Node is the node that answered.
	Node    string `json:"node,omitempty"`
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
	// Nodes, with ?all_nodes=1, is each member's measurement: the bound
	// then takes the largest p99 of the nodes that measured one, and
	// Samples counts them all.
	Nodes []FailoverNode `json:"nodes,omitempty"`
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

// FailoverNode is one member's measured propagation, or why it gave
// none.
type FailoverNode struct {
	Node           string   `json:"node"`
	Admin          string   `json:"admin,omitempty"`
	PropagationP99 *float64 `json:"propagation_p99_seconds"`
	Samples        int      `json:"samples"`
	Error          string   `json:"error,omitempty"`
}

func (s *server) getFailover(w http.ResponseWriter, r *http.Request) {
	service := ServiceName(r.PathValue("service"))
	if service == "" || service == "." {
		writeError(w, http.StatusBadRequest, "the path needs a service: /v1/services/{service}/failover")
		return
	}
	all, err := boolParam(r.URL.Query(), "all_nodes")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	fb, err := s.backend.Failover(r.Context(), service)
	if err != nil {
		s.fail(w, r, "service "+service, err)
		return
	}
	fb.Node = s.nodeID
	if fb.Endpoints == nil {
		fb.Endpoints = []FailoverEndpoint{}
	}
	if all {
		members, err := s.backend.Members(r.Context())
		if err != nil {
			s.fail(w, r, "members", err)
			return
		}
		s.failoverAll(r.Context(), fb, members, peerAuth(r))
	}
	writeJSON(w, http.StatusOK, fb)
}

// failoverAll asks every other member that is a peer for its measured
// propagation, and states fb with the slowest node's.
func (s *server) failoverAll(ctx context.Context, fb *FailoverBound, members []member.Member, auth string) {
	self := FailoverNode{Node: s.nodeID, PropagationP99: fb.PropagationP99, Samples: fb.Samples}
	nodes := []FailoverNode{}
	for _, m := range members {
		if s.nodeID != "" && m.ID == s.nodeID {
			self.Admin = m.Admin
			continue
		}
		nodes = append(nodes, FailoverNode{Node: m.ID, Admin: m.Admin})
	}
	var wg sync.WaitGroup
	path := "/v1/services/" + url.PathEscape(fb.Service) + "/failover"
	for i := range nodes {
		n := &nodes[i]
		wg.Go(func() {
			var got FailoverBound
			if err := s.askPeer(ctx, n.Admin, path, auth, "a failover bound", &got); err != nil {
				n.Error = err.Error()
				return
			}
			if err := answeredAs(n.Admin, n.Node, got.Node); err != nil {
				n.Error = err.Error()
				return
			}
			n.PropagationP99, n.Samples = got.PropagationP99, got.Samples
		})
	}
	wg.Wait()
	slices.SortFunc(nodes, func(a, b FailoverNode) int { return strings.Compare(a.Node, b.Node) })
	fb.Nodes = append([]FailoverNode{self}, nodes...)
	var p Propagation
	for _, n := range fb.Nodes {
		if n.PropagationP99 != nil && n.Samples > 0 {
			p.P99 = max(p.P99, time.Duration(*n.PropagationP99*float64(time.Second)))
			p.Samples += n.Samples
		}
	}
	fb.setPropagation(p, "on any node")
	if i := slices.IndexFunc(fb.Nodes, func(n FailoverNode) bool { return n.Error != "" }); i >= 0 {
		if fb.Note != "" {
			fb.Note += "; "
		}
		fb.Note += fb.Nodes[i].Node + " gave no figure: the bound holds for the nodes that did"
	}
}
