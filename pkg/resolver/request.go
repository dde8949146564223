package resolver

import (
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/policy"
)

// Sizes of UDP responses (RFC 6891 §6.2.5, and the 2020 DNS flag day's
// 1232-byte default that avoids IP fragmentation).
const (
	minUDPSize     = 512
	DefaultUDPSize = 1232
)

// request is what one query needs computed once: the client, the EDNS
// options, the lower-case name. It lives in a pool with its response.
type request struct {
	// name is the question name in lower case; zone the zone answering.
	name  string
	zone  string
	qtype uint16
	tcp   bool
	// unpacked is where the answer's packed address records are made,
	// the query state's; nil: each is allocated.
	unpacked *unpackedRecords
	// edns is set when the query carried an OPT record.
	edns bool
	do   bool
	// size is the largest response the client takes over UDP.
	size int
	// ecs is set when the query carried a valid client subnet option.
	ecs       bool
	ecsFamily uint16
	ecsBits   uint8
	ecsAddr   netip.Addr
	// scope is the ECS scope the answer relied on.
	scope int
	// source is the address the query came from.
	source netip.Addr
	// clientPrefix is the client's network as policies see it; client
	// adds its location, looked up lazily.
	clientPrefix netip.Prefix
	client       policy.Client
	located      bool
	// now is when the query arrived, for cookies and rate limiting.
	now time.Time
	// cookieSeen is set when the query carried a cookie option;
	// cookieIn holds it (cookieInLen bytes), cookie is the verdict and
	// cookieOut the option the answer carries when cookieOutSet.
	cookieSeen   bool
	cookieInLen  uint8
	cookieIn     [maxCookieOptLen]byte
	cookie       cookieVerdict
	cookieOut    [cookieOptionLen]byte
	cookieOutSet bool
	// nsidAsked is set when the query carried an NSID option; nsid is
	// the identifier the answer carries, empty for none.
	nsidAsked bool
	nsid      string
	// co is the query's Compact Answers OK flag (RFC 9824 §4): the
	// client takes NXDOMAIN with a compact denial.
	co bool
	// denied is the name a negative answer is about, and deniedNode its
	// node (nil when the name does not exist), for the NSEC a signed
	// answer carries; cut is the delegation a referral is for.
	denied     string
	deniedNode *node
	cut        *node
	// extRcode is the upper bits of the rcode, which pack moves into the
	// OPT record.
	extRcode uint8
	// chosen is scratch space for policy selections.
	chosen [config.MaxMultivalueAnswers]int
	// decided is the service whose policy chose the answer, decidedIn
	// the snapshot it chose in and decidedN how many of chosen it chose:
	// what the query log says of the decision.
	decided   *serviceNode
	decidedIn *Snapshot
	decidedN  int
	// limited is set when rate limiting dropped the answer.
	limited bool
	// trace, when set, records the policy's steps (for Explain); the query
	// path leaves it nil. explained and snap are what Explain reports.
	trace     *policy.Trace
	explained *serviceNode
	snap      *Snapshot
}

// reset clears r for another query.
func (r *request) reset() {
	*r = request{}
}

// addrOf extracts the IP of a net.Addr without allocating for the
// common UDP and TCP types.
func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// parseEDNS reads the OPT record of q into r. It returns an rcode other
// than success when the OPT record itself is at fault: BADVERS for an
// EDNS version this server does not speak, FORMERR for a malformed client
// subnet option (RFC 7871 §7.1.1) or a misused edns-tcp-keepalive one
// (validKeepalive).
func (r *request) parseEDNS(q *dns.Msg) int {
	r.size = minUDPSize
	// An OPT record belongs once in the additional section, owned by the
	// root (RFC 6891 §6.1.1); anything else is a malformed query.
	var opt *dns.OPT
	for _, rr := range q.Extra {
		if o, ok := rr.(*dns.OPT); ok {
			if opt != nil || o.Hdr.Name != "." {
				return dns.RcodeFormatError
			}
			opt = o
		}
	}
	for _, rr := range q.Answer {
		if rr.Header().Rrtype == dns.TypeOPT {
			return dns.RcodeFormatError
		}
	}
	for _, rr := range q.Ns {
		if rr.Header().Rrtype == dns.TypeOPT {
			return dns.RcodeFormatError
		}
	}
	if opt == nil {
		return dns.RcodeSuccess
	}
	r.edns = true
	r.do = opt.Do()
	r.co = opt.Hdr.Ttl&ednsFlagCO != 0
	r.size = int(max(min(opt.UDPSize(), DefaultUDPSize), minUDPSize))
	if opt.Version() != 0 {
		return dns.RcodeBadVers
	}
	for _, o := range opt.Option {
		switch o := o.(type) {
		case *dns.EDNS0_COOKIE:
			r.readCookie(o)
			continue
		case *dns.EDNS0_NSID:
			r.nsidAsked = true
			continue
		case *dns.EDNS0_TCP_KEEPALIVE:
			if !r.validKeepalive(o) {
				return dns.RcodeFormatError
			}
			continue
		}
		ecs, ok := o.(*dns.EDNS0_SUBNET)
		if !ok {
			continue
		}
		if r.ecs {
			return dns.RcodeFormatError
		}
		if !r.parseECS(ecs) {
			return dns.RcodeFormatError
		}
	}
	return dns.RcodeSuccess
}

// validKeepalive reports whether a query may carry the edns-tcp-keepalive
// option o: a client sends it over TCP only, and empty, the timeout being
// the server's to give (RFC 7828 §3.2.1). One over UDP must be answered
// FORMERR (§3.3.1); one with a timeout is a malformed option, which RFC
// 6891 §7 answers FORMERR too. miekg/dns unpacks a two-byte zero timeout
// as an empty option, so that one passes; any other length does not
// unpack, and the whole query is answered FORMERR before it gets here.
func (r *request) validKeepalive(o *dns.EDNS0_TCP_KEEPALIVE) bool {
	return r.tcp && o.Timeout == 0
}

// parseECS validates a client subnet option: a known family, a source
// prefix that fits it, no address bits beyond it and a zero scope.
func (r *request) parseECS(o *dns.EDNS0_SUBNET) bool {
	var ip netip.Addr
	var ok bool
	switch o.Family {
	case 0:
		// Family 0 with a zero source prefix is what dig and some stub
		// resolvers send to mean "no client subnet" (RFC 7871 §7.1.2
		// notes servers ignore it): treated as no option, not echoed.
		return o.SourceNetmask == 0 && o.SourceScope == 0
	case 1:
		if o.SourceNetmask > 32 {
			return false
		}
		ip, ok = netip.AddrFromSlice(o.Address.To4())
	case 2:
		if o.SourceNetmask > 128 {
			return false
		}
		ip, ok = netip.AddrFromSlice(o.Address.To16())
	default:
		return false
	}
	if !ok || o.SourceScope != 0 {
		return false
	}
	p := netip.PrefixFrom(ip, int(o.SourceNetmask))
	if p.Masked().Addr() != ip {
		return false
	}
	r.ecs, r.ecsFamily, r.ecsBits, r.ecsAddr = true, o.Family, o.SourceNetmask, ip
	return true
}
