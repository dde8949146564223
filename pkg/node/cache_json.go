package node

import (
	"encoding/json"
	"strconv"

	"github.com/gtmd/gtmd/pkg/config"
)

// appendRecordJSON appends r as encoding/json writes a config.Record,
// without its reflection: the copy a node keeps may hold a million.
func appendRecordJSON(b []byte, r *config.Record) []byte {
	return appendRRsetJSON(b, r.Name, r.Type, r.TTL, r.Data)
}

// appendRRsetJSON appends, as encoding/json writes a config.Record, the
// record of name, type, ttl (nil: none) and data.
func appendRRsetJSON(b []byte, name, typ string, ttl *uint32, data []string) []byte {
	b = append(b, `{"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	if ttl != nil {
		b = append(b, `,"ttl":`...)
		b = strconv.AppendUint(b, uint64(*ttl), 10)
	}
	b = append(b, `,"data":`...)
	if data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, d := range data {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, d)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Printable ASCII without a
// quote or backslash, what nearly every name and RDATA is, goes as it
// is; anything else as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
