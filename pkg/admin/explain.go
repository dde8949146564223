package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
)

// ExplainAll is the answer to GET /v1/explain?all_nodes=1: every member's
// explanation of the same query from the same client.
type ExplainAll struct {
	// Agree is true when the nodes that answered (at least one) gave the
	// same rcode and the same records (as sets). Where the answer was
	// drawn at random (Trace.Random: weighted, multivalue), records may
	// differ by design, so the nodes must agree on the rule and on which
	// endpoints are healthy instead. A node that gave no answer (see
	// NodeExplanation.Status) is listed, not counted either way: an
	// unreachable node or a refused token says nothing about answers.
	Agree bool `json:"agree"`
	// Disagreement says what differs, when Agree is false.
	Disagreement string `json:"disagreement,omitempty"`
	// Answered is how many of Nodes answered.
	Answered int               `json:"answered"`
	Nodes    []NodeExplanation `json:"nodes"`
}

// NodeExplanation is one member's explanation, or why it gave none.
type NodeExplanation struct {
	Node  string `json:"node"`
	Admin string `json:"admin,omitempty"`
	// Status says whether the node answered, and why not when it did
	// not; Error then says more, starting with "unreachable: ",
	// "unauthorized: " or "not asked: " for those statuses.
	Status      PeerStatus   `json:"status"`
	Explanation *Explanation `json:"explanation,omitempty"`
	Error       string       `json:"error,omitempty"`
}

func (s *server) getExplain(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	eq, err := parseExplainQuery(q, r.RemoteAddr)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	all, err := boolParam(q, "all_nodes")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !all {
		ex, err := s.backend.Explain(r.Context(), eq)
		if err != nil {
			s.fail(w, r, "explain", err)
			return
		}
		writeJSON(w, http.StatusOK, ex)
		return
	}
	members, err := s.backend.Members(r.Context())
	if err != nil {
		s.fail(w, r, "members", err)
		return
	}
	writeJSON(w, http.StatusOK, s.explainAll(r.Context(), eq, members, peerAuth(r)))
}

// parseExplainQuery reads name, type, client and ecs; client defaults to
// the requester's address.
func parseExplainQuery(q url.Values, remoteAddr string) (ExplainQuery, error) {
	var eq ExplainQuery
	name := strings.TrimSpace(q.Get("name"))
	if name == "" {
		return eq, fmt.Errorf("name is required: the name to explain, such as www.example.com")
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return eq, fmt.Errorf("name %q is not a domain name", name)
	}
	eq.Name = strings.ToLower(dns.Fqdn(name))
	eq.QType = dns.TypeA
	if t := strings.TrimSpace(q.Get("type")); t != "" {
		qt, ok := config.ParseType(t)
		if !ok {
			return eq, fmt.Errorf("type %q is not a DNS type such as A, AAAA or TXT", t)
		}
		eq.QType = qt
	}
	if c := strings.TrimSpace(q.Get("client")); c != "" {
		a, err := netip.ParseAddr(c)
		if err != nil || a.Zone() != "" {
			return eq, fmt.Errorf("client %q is not an IP address", c)
		}
		eq.Client = a.Unmap()
	} else if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		eq.Client = ap.Addr().Unmap()
	}
	if e := strings.TrimSpace(q.Get("ecs")); e != "" {
		p, err := parsePrefix(e)
		if err != nil {
			return eq, fmt.Errorf("ecs %q is not a client subnet such as 198.51.100.0/24", e)
		}
		eq.ECS = p
	}
	return eq, nil
}

// parsePrefix reads a subnet, or an address as its full-length prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("bad address")
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
	}
	return p.Masked(), nil
}

// explainAll explains eq on this node and asks every other member that
// is a peer the same question, with the caller's credentials.
func (s *server) explainAll(ctx context.Context, eq ExplainQuery, members []member.Member, auth string) ExplainAll {
	members = slices.Clone(members)
	slices.SortFunc(members, func(a, b member.Member) int { return strings.Compare(a.ID, b.ID) })
	// This node answers locally, first: a server built without its node
	// id learns it from its own explanation, so that it is not asked
	// again, over HTTP, as one of the members (and counted twice).
	local := NodeExplanation{Node: s.nodeID}
	s.explainLocal(ctx, eq, &local)
	self := slices.IndexFunc(members, func(m member.Member) bool { return local.Node != "" && m.ID == local.Node })
	nodes := make([]NodeExplanation, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		nodes[i] = NodeExplanation{Node: m.ID, Admin: m.Admin}
		if i == self {
			local.Admin = m.Admin
			nodes[i] = local
			continue
		}
		wg.Go(func() { s.explainRemote(ctx, eq, auth, &nodes[i]) })
	}
	wg.Wait()
	if self < 0 {
		// This node is not among the members the store knows: its own
		// answer still counts.
		nodes = append([]NodeExplanation{local}, nodes...)
	}
	agree, why := agreement(nodes)
	answered := 0
	for _, n := range nodes {
		if n.Status == PeerAnswered {
			answered++
		}
	}
	return ExplainAll{Agree: agree, Disagreement: why, Answered: answered, Nodes: nodes}
}

func (s *server) explainLocal(ctx context.Context, eq ExplainQuery, n *NodeExplanation) {
	ex, err := s.backend.Explain(ctx, eq)
	if err != nil {
		n.Status, n.Error = PeerFailed, err.Error()
		return
	}
	n.Status, n.Explanation = PeerAnswered, ex
	if n.Node == "" {
		n.Node = ex.Node
	}
}

// explainRemote asks one member, if it is a peer (askPeer).
func (s *server) explainRemote(ctx context.Context, eq ExplainQuery, auth string, n *NodeExplanation) {
	v := url.Values{}
	v.Set("name", eq.Name)
	v.Set("type", dns.Type(eq.QType).String())
	if eq.Client.IsValid() {
		v.Set("client", eq.Client.String())
	}
	if eq.ECS.IsValid() {
		v.Set("ecs", eq.ECS.String())
	}
	var ex Explanation
	err := s.askPeer(ctx, n.Admin, "/v1/explain?"+v.Encode(), auth, "an explanation", &ex)
	if err == nil {
		err = answeredAs(n.Admin, n.Node, ex.Node)
	}
	if n.Status = peerStatusOf(err); err != nil {
		n.Error = err.Error()
		return
	}
	n.Explanation = &ex
}

// agreement compares the answers of the nodes that answered; see
// ExplainAll.Agree.
func agreement(all []NodeExplanation) (bool, string) {
	nodes := slices.DeleteFunc(slices.Clone(all), func(n NodeExplanation) bool { return n.Explanation == nil })
	if len(nodes) == 0 {
		return false, "no node answered"
	}
	ref := nodes[0]
	for _, n := range nodes[1:] {
		a, b := ref.Explanation, n.Explanation
		if a.Rcode != b.Rcode {
			return false, fmt.Sprintf("%s answers %s, %s answers %s", ref.Node, a.Rcode, n.Node, b.Rcode)
		}
		if a.Trace.Random || b.Trace.Random {
			if a.Trace.Rule != b.Trace.Rule {
				return false, fmt.Sprintf("%s decides by %q, %s by %q", ref.Node, a.Trace.Rule, n.Node, b.Trace.Rule)
			}
			if ha, hb := healthySet(a), healthySet(b); !slices.Equal(ha, hb) {
				return false, fmt.Sprintf("%s sees %v healthy, %s sees %v", ref.Node, ha, n.Node, hb)
			}
			continue
		}
		if aa, ab := sortedCopy(a.Answer), sortedCopy(b.Answer); !slices.Equal(aa, ab) {
			return false, fmt.Sprintf("%s answers %v, %s answers %v", ref.Node, aa, n.Node, ab)
		}
	}
	return true, ""
}

func healthySet(e *Explanation) []string {
	out := []string{}
	for _, ep := range e.Endpoints {
		if ep.Healthy {
			out = append(out, ep.ID)
		}
	}
	slices.Sort(out)
	return out
}

// sortedCopy sorts records for comparison, with the tabs of their
// presentation format made spaces so that messages read on one line.
func sortedCopy(s []string) []string {
	out := make([]string, len(s))
	for i, rr := range s {
		out[i] = strings.Join(strings.Fields(rr), " ")
	}
	slices.Sort(out)
	return out
}
