package resolver

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/miekg/dns"
)

// DNS cookies (RFC 7873) with server cookies made as RFC 9018 §4 says:
// version 1, three reserved bytes, a 32-bit timestamp and a SipHash-2-4
// of client cookie | version | reserved | timestamp | client IP under a
// 16-byte secret. Every node holding the cluster's secret computes the
// same cookie, so a resolver that learnt one from any node is known to
// all of them. A client that returns a valid server cookie proves it
// receives packets at its source address: it cannot be spoofed, which
// is why rate limiting lets it through.

const (
	clientCookieLen = 8
	// serverCookieLen is the length of the server cookies this server
	// makes (RFC 9018 §4.2); it accepts no other as valid.
	serverCookieLen   = 16
	minServerCookie   = 8
	maxServerCookie   = 32
	cookieVersion     = 1
	cookieOptionLen   = clientCookieLen + serverCookieLen
	maxCookieOptLen   = clientCookieLen + maxServerCookie
	cookieSecretBytes = 16
	// A server cookie is accepted from an hour in the past to five
	// minutes in the future (clock skew between nodes), and replaced by
	// a fresh one once half an hour old (RFC 9018 §4.3).
	cookieMaxAge    = 3600
	cookieMaxAhead  = 300
	cookieRenewedAt = 1800
)

// cookieSecret is a key of the server cookies' SipHash.
type cookieSecret [cookieSecretBytes]byte

// cookieSecrets are the current secret, which makes every new cookie,
// and the previous one, still accepted so that cookies handed out just
// before a rotation keep working.
type cookieSecrets struct {
	current, previous cookieSecret
	hasPrevious       bool
}

// cookieVerdict is what a query's cookie option turned out to be.
type cookieVerdict uint8

const (
	cookieNone cookieVerdict = iota
	// cookieClientOnly: a client cookie without a server cookie, a
	// client's first query.
	cookieClientOnly
	// cookieInvalid: a server cookie that is not ours, too old or for
	// another address.
	cookieInvalid
	// cookieValid: a server cookie this cluster made for this client.
	cookieValid
	// cookieMalformed: an option of a length RFC 7873 §5.2.2 forbids.
	cookieMalformed
	numCookieVerdicts
)

// String names the verdict as the metrics label does.
func (v cookieVerdict) String() string {
	switch v {
	case cookieNone:
		return "none"
	case cookieClientOnly:
		return "client_only"
	case cookieInvalid:
		return "invalid"
	case cookieValid:
		return "valid"
	case cookieMalformed:
		return "malformed"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// randomCookieSecret is the secret a handler starts with, so cookies
// work on a single node before (or without) a secret shared through the
// store.
func randomCookieSecret() cookieSecret {
	var s cookieSecret
	// crypto/rand.Read never fails on the platforms Go supports; it
	// crashes the program itself if the kernel's source is gone.
	_, _ = rand.Read(s[:])
	return s
}

// SetCookieSecrets makes current the secret new server cookies are made
// with; cookies made with previous stay valid (for as long as their
// timestamp allows). An all-zero previous means none. It is safe to call
// while queries are answered: each query sees either the old pair or the
// new one.
func (h *Handler) SetCookieSecrets(current, previous [16]byte) {
	h.cookieSecrets.Store(&cookieSecrets{current: cookieSecret(current), previous: cookieSecret(previous), hasPrevious: previous != [16]byte{}})
}

// validCookieLen reports whether a cookie option of n bytes is one RFC
// 7873 §5.2.2 allows: a client cookie alone, or with a server cookie of
// 8 to 32 bytes.
func validCookieLen(n int) bool {
	return n == clientCookieLen || n >= clientCookieLen+minServerCookie && n <= maxCookieOptLen
}

// readCookie keeps the raw cookie option of a query in r, or marks it
// malformed. miekg/dns hands the option over as hex.
func (r *request) readCookie(o *dns.EDNS0_COOKIE) {
	n := len(o.Cookie) / 2
	// Two cookie options are as malformed as a bad length: which one
	// would the answer be about?
	second := r.cookieSeen
	r.cookieSeen = true
	if second || len(o.Cookie)%2 != 0 || !validCookieLen(n) ||
		!decodeHex(r.cookieIn[:n], o.Cookie) {
		r.cookie = cookieMalformed
		return
	}
	r.cookieInLen = uint8(n)
}

// decodeHex decodes src into dst, which is exactly half as long, without
// allocating.
func decodeHex(dst []byte, src string) bool {
	for i := range dst {
		hi, ok1 := fromHex(src[2*i])
		lo, ok2 := fromHex(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// checkCookie judges the query's cookie option and prepares the cookie
// the answer carries. It returns the rcode the option alone calls for:
// FORMERR for a malformed option (RFC 7873 §5.2.2), BADCOOKIE when
// cookies are required and a cookie-aware client sent no valid server
// cookie over UDP (§5.2.3, as BIND's require-server-cookie does), else
// success. A query without a cookie option is answered as before, also
// when cookies are required: like BIND, only cookie-aware clients are
// held to it; rate limiting covers the others.
func (h *Handler) checkCookie(r *request) int {
	if !h.cookiesEnabled || !r.cookieSeen {
		r.cookie = cookieNone
		return dns.RcodeSuccess
	}
	if r.cookie == cookieMalformed {
		return dns.RcodeFormatError
	}
	secrets := h.cookieSecrets.Load()
	ip := r.source.Unmap()
	now := uint32(r.now.Unix())
	r.cookieOutSet = true
	in := r.cookieIn[:r.cookieInLen]
	fresh := true
	if len(in) == clientCookieLen {
		r.cookie = cookieClientOnly
	} else if valid, renew := secrets.check(in, ip, now); valid {
		r.cookie = cookieValid
		if !renew {
			copy(r.cookieOut[:], in)
			fresh = false
		}
	} else {
		r.cookie = cookieInvalid
	}
	if fresh {
		r.cookieOut = secrets.current.cookie(in[:clientCookieLen], ip, now)
	}
	if h.cookiesRequired && !r.tcp && r.cookie != cookieValid {
		return dns.RcodeBadCookie
	}
	return dns.RcodeSuccess
}

// cookie makes the whole cookie option (client cookie, then the server
// cookie) for client at now with this secret.
func (s *cookieSecret) cookie(client []byte, ip netip.Addr, now uint32) [cookieOptionLen]byte {
	var out [cookieOptionLen]byte
	copy(out[:clientCookieLen], client)
	out[clientCookieLen] = cookieVersion
	binary.BigEndian.PutUint32(out[clientCookieLen+4:], now)
	binary.LittleEndian.PutUint64(out[clientCookieLen+8:], s.hash(out[:clientCookieLen+8], ip))
	return out
}

// hash is the SipHash-2-4 of RFC 9018 §4.4 over the client cookie, the
// server cookie's version, reserved bytes and timestamp (head, as sent),
// and the client's address.
func (s *cookieSecret) hash(head []byte, ip netip.Addr) uint64 {
	var b [clientCookieLen + 8 + 16]byte
	n := copy(b[:], head[:clientCookieLen+8])
	if ip.Is4() {
		a := ip.As4()
		n += copy(b[n:], a[:])
	} else {
		a := ip.As16()
		n += copy(b[n:], a[:])
	}
	return sipHash24((*[16]byte)(s), b[:n])
}

// check says whether the cookie option in (client cookie and server
// cookie) was made by this cluster for ip and is within its lifetime at
// now, and whether it is old enough, or made with the previous secret,
// to be replaced by a fresh one.
func (s *cookieSecrets) check(in []byte, ip netip.Addr, now uint32) (valid, renew bool) {
	if len(in) != cookieOptionLen || in[clientCookieLen] != cookieVersion {
		return false, false
	}
	ts := binary.BigEndian.Uint32(in[clientCookieLen+4:])
	// Serial arithmetic: the timestamp wraps in 2106.
	age := int32(now - ts)
	if age > cookieMaxAge || age < -cookieMaxAhead {
		return false, false
	}
	mac := binary.LittleEndian.Uint64(in[clientCookieLen+8:])
	if s.current.hash(in, ip) == mac {
		return true, age >= cookieRenewedAt
	}
	if s.hasPrevious && s.previous.hash(in, ip) == mac {
		return true, true
	}
	return false, false
}
