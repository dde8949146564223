package resolver

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/policy"
)

// QueryLog takes a copy of answered queries, as a dnstap logger does. The
// query path never waits on it: Take and Send must return at once, and
// whatever writes the log runs elsewhere.
type QueryLog interface {
	// Take returns an empty record for the query just answered, or nil
	// when this one is not to be logged (sampled out, or no room).
	Take() *LoggedQuery
	// Send hands a filled record over; the query path no longer touches
	// it.
	Send(q *LoggedQuery)
}

// LoggedQuery is one query and its answer as the query path saw them.
// Its slices are reused: a logger recycles records after Reset.
type LoggedQuery struct {
	// Query and Response are the messages' wire bytes; Response is empty
	// when no answer was sent (rate limiting dropped it).
	Query, Response []byte
	// QueryTime is when the query reached the handler, ResponseTime when
	// its answer was ready.
	QueryTime, ResponseTime time.Time
	// Client is the query's source, Server the address it was sent to
	// (its IP is unspecified when the socket is bound to every address
	// and the packet did not say).
	Client, Server netip.AddrPort
	// TCP is set for a query over TCP, else it came over UDP.
	TCP bool

	// The decision, kept so that AppendExtra can name it away from the
	// query path.
	h       *Handler
	snap    *Snapshot
	service *serviceNode
	req     decisionInput
	chosen  [config.MaxMultivalueAnswers]int
	n       int
	scope   int
}

// decisionInput is what of a request the policy's choice depends on.
type decisionInput struct {
	source    netip.Addr
	ecs       bool
	ecsFamily uint16
	ecsBits   uint8
	ecsAddr   netip.Addr
}

// Reset empties q for reuse and drops what it holds of a snapshot.
func (q *LoggedQuery) Reset() {
	query, resp := q.Query[:0], q.Response[:0]
	*q = LoggedQuery{Query: query, Response: resp}
}

// AppendExtra appends the decision behind the answer to dst, as
// `service=NAME endpoint=ID[,ID] rule=TEXT scope=N`, or nothing for an
// answer no service took part in. The rule is worked out here, by the
// same policy in the same snapshot with a trace: naming it on the query
// path would cost the trace's allocations. For a deterministic policy it
// is the rule that chose; for weighted and multivalue, the rule's text
// does not depend on the draw.
func (q *LoggedQuery) AppendExtra(dst []byte) []byte {
	sn := q.service
	if sn == nil {
		return dst
	}
	dst = append(dst, "service="...)
	dst = append(dst, sn.name...)
	dst = append(dst, " endpoint="...)
	for i, e := range q.chosen[:q.n] {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, sn.endpoints[e].id...)
	}
	dst = append(dst, " rule="...)
	dst = append(dst, q.rule()...)
	dst = append(dst, " scope="...)
	return strconv.AppendInt(dst, int64(q.scope), 10)
}

// rule runs the service's policy again, traced, for the client the query
// came from.
func (q *LoggedQuery) rule() string {
	r := &request{source: q.req.source, ecs: q.req.ecs, ecsFamily: q.req.ecsFamily, ecsBits: q.req.ecsBits, ecsAddr: q.req.ecsAddr}
	q.h.locate(r)
	var t policy.Trace
	q.service.policy.Select(q.snap.health.of(q.service.index), &r.client, nil, r.chosen[:0], &t)
	return t.Rule
}

// logQuery hands the query log a copy of one query and its answer. query
// is the wire query, or nil to pack qmsg; resp the wire answer, or nil to
// pack rmsg, both nil when none was sent. Packing waits until the log
// takes the query, so a query left out by sampling costs nothing.
func (h *Handler) logQuery(r *request, query []byte, qmsg *dns.Msg, resp []byte, rmsg *dns.Msg, client, server netip.AddrPort, start time.Time) {
	if e := h.qlog.Take(); e != nil {
		h.fillLogged(e, r, query, qmsg, resp, rmsg, client, server, start)
	}
}

// logServed is logQuery for a query from remote answered through w: the
// client's and the server's addresses are worked out only once the log
// has taken the query, so that a query sampled out does not pay for them
// (an address of a type other than UDP's or TCP's is parsed from its
// text).
func (h *Handler) logServed(r *request, remote net.Addr, w dns.ResponseWriter, qmsg *dns.Msg, resp []byte, rmsg *dns.Msg, start time.Time) {
	if e := h.qlog.Take(); e != nil {
		h.fillLogged(e, r, nil, qmsg, resp, rmsg, addrPortOf(remote), serverAddr(w), start)
	}
}

// fillLogged fills e, taken from the query log, as logQuery says, and
// sends it.
func (h *Handler) fillLogged(e *LoggedQuery, r *request, query []byte, qmsg *dns.Msg, resp []byte, rmsg *dns.Msg, client, server netip.AddrPort, start time.Time) {
	if query != nil {
		e.Query = append(e.Query[:0], query...)
	} else if packed, err := qmsg.PackBuffer(e.Query[:cap(e.Query)]); err == nil {
		e.Query = packed
	}
	e.Response = append(e.Response[:0], resp...)
	if resp == nil && rmsg != nil {
		if packed, err := rmsg.PackBuffer(e.Response[:cap(e.Response)]); err == nil {
			e.Response = packed
		}
	}
	e.QueryTime, e.ResponseTime = start, h.now()
	e.Client, e.Server, e.TCP = client, server, r.tcp
	if sn := r.decided; sn != nil {
		e.h, e.snap, e.service, e.scope = h, r.decidedIn, sn, r.scope
		e.n = copy(e.chosen[:], r.chosen[:r.decidedN])
		e.req = decisionInput{source: r.source, ecs: r.ecs, ecsFamily: r.ecsFamily, ecsBits: r.ecsBits, ecsAddr: r.ecsAddr}
	}
	h.qlog.Send(e)
}

// addrPortOf is a's address and port, without allocating for the UDP
// and TCP types.
func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPortFrom(addrOf(a), 0)
}

// serverAddr is the address a query was sent to: over UDP the packet's
// destination where the socket is bound to every address.
func serverAddr(w dns.ResponseWriter) netip.AddrPort {
	local := addrPortOf(w.LocalAddr())
	if uw, ok := w.(*udpWriter); ok && uw.dst.IsValid() {
		return netip.AddrPortFrom(uw.dst.Unmap(), local.Port())
	}
	return local
}
