package resolver

import "net/netip"

// PacketAnswerer answers a query straight from its wire bytes.
type PacketAnswerer interface {
	// AnswerPacket appends to out[:0] the response to query, received over
	// UDP from source, and returns it with ok true; a nil response with ok
	// true means "send nothing"; ok false means the fast path declines and
	// the caller must take the full miekg/dns path (Handler.ServeDNS).
	// It must not retain query or out.
	AnswerPacket(query []byte, source netip.AddrPort, out []byte) (resp []byte, ok bool)
}
