package dnssec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/miekg/dns"
)

// keyBuf builds the cache key of an RRset in reused buffers: the owner
// lower-cased, type, class, TTL, then each record's rdata in sorted order
// with its length. A and AAAA rdata are read from their fields, so the
// answers gtmd makes most take no allocation; other types are packed
// from a copy (packing a record writes its header, and the caller's
// records are shared).
type keyBuf struct {
	key   []byte
	rdata []byte
	wire  []byte
	spans [][2]int
}

func (b *keyBuf) build(rrset []dns.RR) ([]byte, error) {
	h := rrset[0].Header()
	b.key = append(b.key[:0], h.Name...)
	for i, c := range b.key {
		if 'A' <= c && c <= 'Z' {
			b.key[i] = c + 'a' - 'A'
		}
	}
	b.key = append(b.key, 0)
	b.key = binary.BigEndian.AppendUint16(b.key, h.Rrtype)
	b.key = binary.BigEndian.AppendUint16(b.key, h.Class)
	b.key = binary.BigEndian.AppendUint32(b.key, h.Ttl)
	b.rdata, b.spans = b.rdata[:0], b.spans[:0]
	for _, rr := range rrset {
		start := len(b.rdata)
		if err := b.appendRdata(rr); err != nil {
			return nil, err
		}
		b.spans = append(b.spans, [2]int{start, len(b.rdata)})
	}
	// Insertion sort: RRsets are small, and sort.Slice would allocate.
	for i := 1; i < len(b.spans); i++ {
		for j := i; j > 0 && bytes.Compare(b.span(j), b.span(j-1)) < 0; j-- {
			b.spans[j], b.spans[j-1] = b.spans[j-1], b.spans[j]
		}
	}
	for i := range b.spans {
		s := b.span(i)
		b.key = binary.BigEndian.AppendUint16(b.key, uint16(len(s)))
		b.key = append(b.key, s...)
	}
	return b.key, nil
}

func (b *keyBuf) span(i int) []byte { return b.rdata[b.spans[i][0]:b.spans[i][1]] }

func (b *keyBuf) appendRdata(rr dns.RR) error {
	switch r := rr.(type) {
	case *dns.A:
		if ip := r.A.To4(); ip != nil {
			b.rdata = append(b.rdata, ip...)
			return nil
		}
		return errors.New("an A record without an IPv4 address")
	case *dns.AAAA:
		if ip := r.AAAA.To16(); ip != nil && r.AAAA.To4() == nil {
			b.rdata = append(b.rdata, ip...)
			return nil
		}
		return errors.New("an AAAA record without an IPv6 address")
	}
	c := dns.Copy(rr)
	if n := dns.Len(c) + 16; len(b.wire) < n {
		b.wire = make([]byte, n)
	}
	end, err := dns.PackRR(c, b.wire, 0, nil, false)
	if err != nil {
		return fmt.Errorf("packing a record: %w", err)
	}
	b.rdata = append(b.rdata, b.wire[end-int(c.Header().Rdlength):end]...)
	return nil
}
