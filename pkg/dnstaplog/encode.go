package dnstaplog

import (
	"net/netip"
	"time"

	dnstap "github.com/dnstap/golang-dnstap"
	"google.golang.org/protobuf/proto"

	"github.com/gtmd/gtmd/pkg/resolver"
)

// encoder turns a record into its dnstap frames, reusing its memory from
// one record to the next (it belongs to the writing goroutine).
type encoder struct {
	msg    dnstap.Dnstap
	body   dnstap.Message
	extra  []byte
	bufs   [2][]byte
	frames [2][]byte
}

// encode returns q's frames: AUTH_QUERY, then AUTH_RESPONSE when an
// answer was sent. They are valid until the next call.
func (e *encoder) encode(q *resolver.LoggedQuery, identity, version []byte) ([][]byte, error) {
	e.extra = q.AppendExtra(e.extra[:0])
	frames := e.frames[:0]
	for i, typ := range [2]dnstap.Message_Type{dnstap.Message_AUTH_QUERY, dnstap.Message_AUTH_RESPONSE} {
		if i == 1 && len(q.Response) == 0 {
			break
		}
		e.fill(q, typ, identity, version)
		b, err := proto.MarshalOptions{}.MarshalAppend(e.bufs[i][:0], &e.msg)
		if err != nil {
			return nil, err
		}
		e.bufs[i] = b
		frames = append(frames, b)
	}
	return frames, nil
}

// fill sets the message of type typ for q.
func (e *encoder) fill(q *resolver.LoggedQuery, typ dnstap.Message_Type, identity, version []byte) {
	family, protocol := dnstap.SocketFamily_INET, dnstap.SocketProtocol_UDP
	if q.Client.Addr().Is6() {
		family = dnstap.SocketFamily_INET6
	}
	if q.TCP {
		protocol = dnstap.SocketProtocol_TCP
	}
	mt := dnstap.Dnstap_MESSAGE
	e.body = dnstap.Message{
		Type:            &typ,
		SocketFamily:    &family,
		SocketProtocol:  &protocol,
		QueryAddress:    addrBytes(q.Client),
		QueryPort:       port(q.Client),
		ResponseAddress: addrBytes(q.Server),
		ResponsePort:    port(q.Server),
		QueryTimeSec:    sec(q.QueryTime),
		QueryTimeNsec:   nsec(q.QueryTime),
	}
	if typ == dnstap.Message_AUTH_QUERY {
		e.body.QueryMessage = q.Query
	} else {
		e.body.ResponseMessage = q.Response
		e.body.ResponseTimeSec = sec(q.ResponseTime)
		e.body.ResponseTimeNsec = nsec(q.ResponseTime)
	}
	e.msg = dnstap.Dnstap{Identity: identity, Version: version, Type: &mt, Message: &e.body}
	if len(e.extra) > 0 {
		e.msg.Extra = e.extra
	}
}

// addrBytes is the address as dnstap holds it: 4 or 16 bytes, or nil
// when unknown.
func addrBytes(ap netip.AddrPort) []byte {
	if !ap.Addr().IsValid() {
		return nil
	}
	return ap.Addr().AsSlice()
}

func port(ap netip.AddrPort) *uint32 {
	if !ap.IsValid() {
		return nil
	}
	p := uint32(ap.Port())
	return &p
}

func sec(t time.Time) *uint64 {
	if t.IsZero() {
		return nil
	}
	s := uint64(t.Unix())
	return &s
}

func nsec(t time.Time) *uint32 {
	if t.IsZero() {
		return nil
	}
	n := uint32(t.Nanosecond())
	return &n
}
