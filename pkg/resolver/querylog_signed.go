package resolver

import (
	"net"
	"time"

	"github.com/miekg/dns"
)

// loggedWriter hands the query log the request and the first message
// written in answer to it, for the queries ServeDNS leaves to
// serveSigned: TSIG-signed queries, their refusals, and zone transfers
// (a transfer of many messages is logged as its request and its first
// message). The answer is logged as packed before the TSIG MAC is added,
// which the writer computes as it sends.
type loggedWriter struct {
	dns.ResponseWriter
	h       *Handler
	q       *dns.Msg
	arrived time.Time
	logged  bool
}

// WriteMsg logs m the first time, then writes it.
func (lw *loggedWriter) WriteMsg(m *dns.Msg) error {
	if !lw.logged {
		lw.logged = true
		var r request
		_, r.tcp = lw.RemoteAddr().(*net.TCPAddr)
		r.source = addrOf(lw.RemoteAddr())
		lw.h.logQuery(&r, nil, lw.q, nil, m, addrPortOf(lw.RemoteAddr()), serverAddr(lw.ResponseWriter), lw.arrived)
	}
	return lw.ResponseWriter.WriteMsg(m)
}
