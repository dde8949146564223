package resolver

import (
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/geo"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/policy"
)

// Options are what a Handler is built with. Every field is optional.
type Options struct {
	// Locator places clients for location-based policies; nil means no
	// GeoIP database (policies then fall back as the README says).
	Locator geo.Locator
	// Rand is the random source of weighted and multivalue answers; it
	// must be safe for concurrent use. Nil uses math/rand/v2.
	Rand policy.Rand
	// Logger receives the rare events of the query path (a response that
	// cannot be packed); nil discards them.
	Logger *slog.Logger
	// Metrics counts queries and decisions; nil counts nothing.
	Metrics *Metrics
	// RateLimiter limits answers over UDP (see NewRateLimiter); nil, as
	// in tests and benchmarks that send floods on purpose, limits
	// nothing. gtmd serve makes one from the node file, where it is on
	// by default.
	RateLimiter *RateLimiter
	// Cookies answers DNS cookies; the zero value ignores the option, as
	// a server that does not know it would.
	Cookies config.Cookies
	// NSID is the identifier NSID queries are answered with, the node
	// id; empty ignores the option.
	NSID string
	// Now is the clock of cookie timestamps, rate limiting and the query
	// log; nil is time.Now.
	Now func() time.Time
	// QueryLog takes a copy of every query answered and its answer (the
	// dnstap log); nil logs nothing and costs the query path nothing.
	QueryLog QueryLog
}

// Handler answers DNS queries from the current Snapshot. It is safe for
// concurrent use; Swap replaces the snapshot without blocking queries.
type Handler struct {
	snap    atomic.Pointer[Snapshot]
	locator geo.Locator
	rand    policy.Rand
	log     *slog.Logger
	metrics *Metrics
	pool    sync.Pool
	rrl     *RateLimiter
	// cookieSecrets is the pair SetCookieSecrets installs.
	cookieSecrets   atomic.Pointer[cookieSecrets]
	cookiesEnabled  bool
	cookiesRequired bool
	nsid            string
	now             func() time.Time
	qlog            QueryLog
	// answersMade counts the answers the fast path made and kept
	// (AnswersMade).
	answersMade atomic.Uint64
}

// AnswersMade is the number of answers the fast path has made and kept
// with their names since h was made: each is made the first time its
// name and type are asked, and kept until the name's records change
// (any change to the zone's records makes them again, and counts them
// again; a few made for a query that raced a change are not kept).
// Asking every name of a large zone makes as many, and the garbage of
// making them; a node gives that memory back once they have been made
// (pkg/node's releaser watches this count).
func (h *Handler) AnswersMade() uint64 { return h.answersMade.Load() }

var _ dns.Handler = (*Handler)(nil)

// NewHandler returns a handler that answers REFUSED to everything until
// the first Swap.
func NewHandler(opts Options) *Handler {
	h := &Handler{
		locator: opts.Locator, rand: opts.Rand, log: opts.Logger, metrics: opts.Metrics,
		rrl: opts.RateLimiter, cookiesEnabled: opts.Cookies.Enabled, cookiesRequired: opts.Cookies.Enabled && opts.Cookies.Require,
		nsid: nsidOf(opts.NSID), now: opts.Now, qlog: opts.QueryLog,
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.cookieSecrets.Store(&cookieSecrets{current: randomCookieSecret()})
	if h.rand == nil {
		h.rand = globalRand{}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.pool.New = func() any { return &queryState{buf: make([]byte, packBufferSize)} }
	return h
}

// globalRand draws from math/rand/v2's goroutine-safe global source.
type globalRand struct{}

func (globalRand) IntN(n int) int { return rand.IntN(n) }

// Swap makes s the snapshot every following query is answered from.
func (h *Handler) Swap(s *Snapshot) { h.snap.Store(s) }

// Snapshot returns the snapshot queries are answered from, or nil.
func (h *Handler) Snapshot() *Snapshot { return h.snap.Load() }

// queryState is the per-query memory reused through the pool: the
// request's computed values, the response, and the buffer it is packed
// into.
type queryState struct {
	req  request
	resp dns.Msg
	// buf is used at its full length: PackBuffer allocates anew when the
	// length, not the capacity, is short.
	buf []byte
	// fast is the query as the fast path reads it (AnswerPacket).
	fast fastQuery
	// unpacked holds the records the response unpacked (request.unpacked).
	unpacked unpackedRecords
}

// packBufferSize fits any UDP response; TCP answers that need more grow
// the buffer once.
const packBufferSize = 2048

// ServeDNS answers one query. It is a thin adapter: Resolve decides,
// ServeDNS packs and writes.
func (h *Handler) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	if needsSigned(q) {
		h.serveSigned(w, q)
		return
	}
	start := h.metrics.clock()
	var arrived time.Time
	if h.qlog != nil {
		arrived = h.now()
	}
	st := h.pool.Get().(*queryState)
	st.req.reset()
	remote := w.RemoteAddr()
	_, st.req.tcp = remote.(*net.TCPAddr)
	st.req.source = addrOf(remote)
	h.resolve(q, st)
	if st.req.cookie != cookieNone {
		h.metrics.cookie(st.req.cookie)
	}
	if act := h.limit(st); act != ActionAllow {
		h.metrics.limited(act)
		if act == ActionDrop {
			if h.qlog != nil {
				h.logServed(&st.req, remote, w, q, nil, nil, arrived)
			}
			st.clear()
			h.pool.Put(st)
			return
		}
		st.slip()
	}
	out, err := h.pack(st)
	if err != nil {
		h.log.Warn("cannot pack response", "name", st.req.name, "qtype", st.req.qtype, "err", err)
	} else {
		// Logged before it is written, so that a client's next query,
		// which may come as soon as this answer arrives, is logged after.
		if h.qlog != nil {
			h.logServed(&st.req, remote, w, q, out, nil, arrived)
		}
		_, _ = w.Write(out)
	}
	if cap(out) > cap(st.buf) {
		st.buf = out[:cap(out)]
	}
	if h.metrics != nil {
		h.metrics.observe(st.req.zone, st.req.qtype, st.resp.Rcode|int(st.req.extRcode)<<4, start)
	}
	st.clear()
	h.pool.Put(st)
}

// Resolve answers q as if it came from source over UDP (or TCP) and
// returns the response before packing: the decision without the wire.
// It allocates a fresh response; the query path uses ServeDNS.
func (h *Handler) Resolve(q *dns.Msg, source netip.Addr, tcp bool) *dns.Msg {
	return &h.resolveUnpacked(q, source, tcp, nil).resp
}

// resolveUnpacked answers q in fresh memory, with the OPT record as a
// dns.RR, for callers that take the response unpacked; trace, when set,
// records the policy's steps.
func (h *Handler) resolveUnpacked(q *dns.Msg, source netip.Addr, tcp bool, trace *policy.Trace) *queryState {
	st := new(queryState)
	st.req.source, st.req.tcp, st.req.trace = source.Unmap(), tcp, trace
	h.resolve(q, st)
	if opt := st.req.optRR(); opt != nil {
		st.resp.Extra = append(st.resp.Extra, opt)
	}
	return st
}

// resolve fills st.resp for q.
func (h *Handler) resolve(q *dns.Msg, st *queryState) {
	r, resp := &st.req, &st.resp
	st.unpacked.reset()
	r.unpacked = &st.unpacked
	// Only cookies and rate limiting need the time; without them the
	// query path does not read the clock.
	if h.rrl != nil || h.cookiesEnabled {
		r.now = h.now()
	}
	resp.MsgHdr = dns.MsgHdr{
		Id:                 q.Id,
		Response:           true,
		Opcode:             q.Opcode,
		RecursionDesired:   q.RecursionDesired,
		CheckingDisabled:   q.CheckingDisabled,
		Rcode:              dns.RcodeSuccess,
		Authoritative:      false,
		RecursionAvailable: false,
	}
	// Until the OPT record says otherwise, a UDP answer must fit 512 bytes;
	// the answers that return before it is read are small.
	r.size = minUDPSize
	if len(q.Question) != 1 {
		// The server's accept function refuses these before they get
		// here; Resolve's direct callers get the same answer.
		resp.Rcode = dns.RcodeFormatError
		return
	}
	resp.Question = append(resp.Question[:0], q.Question[0])
	r.qtype = q.Question[0].Qtype
	rcode := r.parseEDNS(q)
	if rcode == dns.RcodeSuccess {
		rcode = h.checkCookie(r)
	}
	h.answerNSID(r)
	if rcode != dns.RcodeSuccess {
		resp.Rcode = rcode
		return
	}
	if q.Opcode != dns.OpcodeQuery {
		resp.Rcode = dns.RcodeNotImplemented
		return
	}
	question := q.Question[0]
	switch {
	case r.qtype == dns.TypeOPT || r.qtype == dns.TypeTSIG || r.qtype == dns.TypeTKEY || r.qtype == dns.TypeNone || question.Qclass == dns.ClassNONE || question.Qclass == 0:
		resp.Rcode = dns.RcodeFormatError
		return
	case question.Qclass != dns.ClassINET:
		resp.Rcode = dns.RcodeRefused
		return
	case r.qtype == typeNXNAME:
		// NXNAME only marks a compact denial's NSEC; a query for it is
		// malformed (RFC 9824 §3.5).
		resp.Rcode = dns.RcodeFormatError
		return
	case r.qtype == dns.TypeAXFR || r.qtype == dns.TypeIXFR:
		// Transfers are served by ServeDNS (serveSigned), which needs the
		// listener's TSIG verdict; Resolve alone refuses them.
		resp.Rcode = dns.RcodeRefused
		return
	}
	r.name = lowerName(question.Name)
	s := h.snap.Load()
	var z *zone
	if s != nil {
		z = s.findZone(r.name)
		if r.qtype == dns.TypeDS && z != nil {
			z = s.dsZone(z, r.name)
		}
	}
	if z == nil {
		resp.Rcode = dns.RcodeRefused
		return
	}
	r.zone = z.name
	if s.cannotSign(z.name) {
		resp.Rcode = dns.RcodeServerFailure
		return
	}
	resp.Authoritative = true
	h.answerZone(s, z, r, resp)
	if r.do && s.signing != nil {
		h.signAnswer(s, r, resp)
	}
}

// lowerName returns name in lower case and fully qualified, allocating
// only when it is not already.
func lowerName(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return dns.Fqdn(strings.ToLower(name))
		}
	}
	return dns.Fqdn(name)
}

// clear drops the references the response holds, so a pooled state does
// not keep an old snapshot's records alive, and keeps the slices' memory.
func (st *queryState) clear() {
	clear(st.resp.Question)
	st.resp.Question = st.resp.Question[:0]
	st.clearRecords()
	st.unpacked.reset()
}

// clearRecords empties the response's answer, authority and additional
// sections as clear does.
func (st *queryState) clearRecords() {
	m := &st.resp
	clear(m.Answer)
	clear(m.Ns)
	clear(m.Extra)
	m.Answer, m.Ns, m.Extra = m.Answer[:0], m.Ns[:0], m.Extra[:0]
}
