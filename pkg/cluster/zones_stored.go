package cluster

import (
	"strings"

	"github.com/miekg/dns"
)

// storedRRsets are a zone's RRsets by Key, as the state holds them.
type storedRRsets map[string]storedRRset

// storedRRset is an RRset as a zone's records hold it. Its owner and type
// are its Key in the map, and its source a byte: a zone of a million
// RRsets holds 56 bytes a slot instead of RRset's 104, since a map of a
// million entries keeps about two million slots.
type storedRRset struct {
	ttl    uint32
	source sourceCode
	data   []string
	rrs    []dns.RR
}

// sourceCode is an RRset's Source as a byte.
type sourceCode uint8

const (
	sourceUnset sourceCode = iota
	sourceDocument
	sourceData
)

func codeOf(source string) sourceCode {
	switch source {
	case SourceDocument:
		return sourceDocument
	case SourceData:
		return sourceData
	}
	return sourceUnset
}

func (c sourceCode) String() string {
	switch c {
	case sourceDocument:
		return SourceDocument
	case sourceData:
		return SourceData
	}
	return ""
}

// stored is r as a zone's records hold it.
func (r RRset) stored() storedRRset {
	return storedRRset{ttl: r.TTL, source: codeOf(r.Source), data: r.Data, rrs: r.rrs}
}

// rrset is s as the RRset of Key key; its owner and type are parts of
// key, not copies.
func (s storedRRset) rrset(key string) RRset {
	// The type is the key's last word, and short: a search from the end
	// is a few bytes, not the whole owner name.
	i := strings.LastIndexByte(key, ' ')
	return RRset{Name: key[:i], Type: key[i+1:], TTL: s.ttl, Data: s.data, Source: s.source.String(), rrs: s.rrs}
}
