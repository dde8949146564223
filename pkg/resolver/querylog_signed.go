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
		// Only whether it came over TCP: the addresses are read once the
		// log takes the query, and a signed answer has no decision.
		var r request
		remote := lw.RemoteAddr()
		_, r.tcp = remote.(*net.TCPAddr)
		lw.h.logServed(&r, remote, lw.ResponseWriter, lw.q, nil, m, lw.arrived)
	}
	return lw.ResponseWriter.WriteMsg(m)
}
