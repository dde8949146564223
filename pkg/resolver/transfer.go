package resolver

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Zone transfers out (AXFR, RFC 5936; IXFR answered in full, RFC 1995
// §4, since no history is kept) and TSIG-signed queries (RFC 8945).
// Both leave the query path: they are rare, come from secondaries, and
// need the TSIG verdict the listener's writer holds (w.TsigStatus), so
// the handler must be served by this package's Server, whose listeners
// verify with ServerOptions.TSIGKeys.

// transferMessageBytes bounds the records of one message of a transfer,
// counted uncompressed, so that with its header, question and TSIG it
// stays within a TCP message's 65,535 bytes.
const transferMessageBytes = 60000

// needsSigned reports whether q leaves the query path for serveSigned:
// a transfer, or a query with a TSIG record.
func needsSigned(q *dns.Msg) bool {
	return isTransfer(q) || q.IsTsig() != nil
}

// isTransfer reports whether q asks for a zone transfer (AXFR or IXFR).
func isTransfer(q *dns.Msg) bool {
	if len(q.Question) != 1 {
		return false
	}
	t := q.Question[0].Qtype
	return t == dns.TypeAXFR || t == dns.TypeIXFR
}

// serveSigned answers a transfer request or a signed query.
func (h *Handler) serveSigned(w dns.ResponseWriter, q *dns.Msg) {
	start := h.metrics.clock()
	if h.qlog != nil {
		w = &loggedWriter{ResponseWriter: w, h: h, q: q, arrived: h.now()}
	}
	t := q.IsTsig()
	if t != nil {
		if err := w.TsigStatus(); err != nil {
			h.tsigError(w, q, t, err, start)
			return
		}
	}
	remote := w.RemoteAddr()
	_, tcp := remote.(*net.TCPAddr)
	source := addrOf(remote)
	if isTransfer(q) {
		h.transfer(w, q, t, source, tcp, start)
		return
	}
	st := h.resolveUnpacked(q, source, tcp, nil)
	resp := &st.resp
	resp.Compress = true
	if !tcp {
		// Room for the TSIG record with the longest MAC (HMAC-SHA512).
		resp.Truncate(max(st.req.size, minUDPSize) - 200)
	}
	sign(resp, t)
	if err := w.WriteMsg(resp); err != nil {
		h.log.Warn("cannot write signed response", "name", st.req.name, "qtype", st.req.qtype, "err", err)
	}
	h.metrics.observe(st.req.zone, st.req.qtype, resp.Rcode, start)
}

// sign adds to m the TSIG record the writer signs it with: the
// request's key and algorithm; nothing when the request had none.
func sign(m *dns.Msg, t *dns.TSIG) {
	if t != nil {
		m.SetTsig(t.Hdr.Name, t.Algorithm, t.Fudge, time.Now().Unix())
	}
}

// tsigError answers a request whose TSIG failed: NOTAUTH with the TSIG
// error (RFC 8945 §5.2), unsigned for BADKEY and BADSIG.
func (h *Handler) tsigError(w dns.ResponseWriter, q *dns.Msg, t *dns.TSIG, err error, start time.Duration) {
	resp := TSIGFailure(q, err)
	code := resp.IsTsig().Error
	h.log.Info("tsig verification failed", "key", t.Hdr.Name, "source", addrOf(w.RemoteAddr()).String(), "error", dns.RcodeToString[int(code)])
	_ = w.WriteMsg(resp)
	h.metrics.observe("", qtypeOf(q), dns.RcodeNotAuth, start)
}

// TSIGFailure is the answer to q, a signed message whose TSIG failed to
// verify with err (a listener's TsigStatus): NOTAUTH with the TSIG error
// BADKEY (a key not held, or held with another algorithm), BADTIME, or
// else BADSIG, in an unsigned TSIG record (RFC 8945 §5.2, §5.3.2).
func TSIGFailure(q *dns.Msg, err error) *dns.Msg {
	t := q.IsTsig()
	code := uint16(dns.RcodeBadSig)
	switch {
	case errors.Is(err, dns.ErrSecret), errors.Is(err, dns.ErrKeyAlg):
		code = dns.RcodeBadKey
	case errors.Is(err, dns.ErrTime):
		code = dns.RcodeBadTime
	}
	resp := new(dns.Msg)
	resp.SetRcode(q, dns.RcodeNotAuth)
	resp.Extra = append(resp.Extra, &dns.TSIG{
		Hdr:       dns.RR_Header{Name: t.Hdr.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
		Algorithm: t.Algorithm, Fudge: t.Fudge, OrigId: q.Id, Error: code,
		TimeSigned: uint64(time.Now().Unix()),
	})
	return resp
}

func qtypeOf(q *dns.Msg) uint16 {
	if len(q.Question) == 0 {
		return dns.TypeNone
	}
	return q.Question[0].Qtype
}

// transfer sends the zone to an allowed, signed request over TCP, or
// answers REFUSED. A request signed with a valid key is a secondary
// configured on purpose: its refusal is logged at info, others at debug.
func (h *Handler) transfer(w dns.ResponseWriter, q *dns.Msg, t *dns.TSIG, source netip.Addr, tcp bool, start time.Duration) {
	name := lowerName(q.Question[0].Name)
	qtype := q.Question[0].Qtype
	s := h.snap.Load()
	var z *zone
	if s != nil {
		z = s.zones[name]
	}
	key := ""
	if t != nil {
		key = dns.CanonicalName(t.Hdr.Name)
	}
	reason := ""
	switch {
	case z == nil:
		reason = "not a zone served here"
	case !tcp:
		reason = "transfers are served over TCP only"
	case z.transfer == nil:
		reason = "the zone has no allow_transfer"
	case t == nil:
		reason = "the request is not TSIG-signed"
	case !z.transfer.allows(key, source):
		reason = "no allow_transfer entry has this key and a network holding the source"
	default:
		if _, signed := s.signingOf(z.name); signed {
			reason = "the zone is DNSSEC-signed; gtmd signs online and transfers only unsigned zones"
		}
	}
	if reason != "" {
		level := h.log.Debug
		if t != nil {
			level = h.log.Info
		}
		level("zone transfer refused", "zone", name, "qtype", dns.TypeToString[qtype], "source", source.String(), "key", key, "reason", reason)
		resp := new(dns.Msg)
		resp.SetRcode(q, dns.RcodeRefused)
		sign(resp, t)
		_ = w.WriteMsg(resp)
		zoneLabel := ""
		if z != nil {
			zoneLabel = z.name
		}
		h.metrics.observe(zoneLabel, qtype, dns.RcodeRefused, start)
		return
	}
	soa, rrs := h.transferRecords(s, z)
	if qtype == dns.TypeIXFR && upToDate(q, soa.(*dns.SOA).Serial) {
		// RFC 1995 §2: a client as new as the server gets the SOA alone.
		rrs = rrs[:1]
	} else {
		rrs = append(rrs, soa)
	}
	msgs, err := h.sendTransfer(w, q, t, rrs)
	if err != nil {
		h.log.Warn("zone transfer failed", "zone", name, "source", source.String(), "key", key, "err", err)
	} else {
		h.log.Info("zone transferred", "zone", name, "qtype", dns.TypeToString[qtype], "source", source.String(), "key", key,
			"serial", soa.(*dns.SOA).Serial, "records", len(rrs), "messages", msgs)
	}
	h.metrics.observe(z.name, qtype, dns.RcodeSuccess, start)
}

// upToDate reports whether an IXFR request's SOA (in its authority
// section) has serial or a later one (RFC 1982 arithmetic).
func upToDate(q *dns.Msg, serial uint32) bool {
	for _, rr := range q.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return int32(soa.Serial-serial) >= 0
		}
	}
	return false
}

// sendTransfer writes rrs as messages of at most transferMessageBytes of
// records, each signed when the request was: the first after the
// request's MAC, the others after the previous message's, over the
// timers only (RFC 8945 §5.3.1). It returns how many it wrote.
func (h *Handler) sendTransfer(w dns.ResponseWriter, q *dns.Msg, t *dns.TSIG, rrs []dns.RR) (int, error) {
	msgs := 0
	for len(rrs) > 0 {
		n, size := 0, 0
		for n < len(rrs) && (n == 0 || size+dns.Len(rrs[n]) <= transferMessageBytes) {
			size += dns.Len(rrs[n])
			n++
		}
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative, m.Compress = true, true
		m.Answer = rrs[:n]
		sign(m, t)
		if err := w.WriteMsg(m); err != nil {
			return msgs, err
		}
		w.TsigTimersOnly(true)
		msgs++
		rrs = rrs[n:]
	}
	return msgs, nil
}
