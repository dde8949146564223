package node

import (
	"bufio"
	"encoding/json"
	"strconv"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// writeZoneRecords writes the copy's zone_records member: for each of
// zones, its own records then its stored ones (by name, as the store
// keys them), each written as encoding/json writes a config.Record but
// without its reflection, straight to w: the copy may hold a million.
// w's first error is its Flush's.
func writeZoneRecords(w *bufio.Writer, zones []config.Zone, stored map[string]*cluster.ZoneRecords) {
	w.WriteString(`,"zone_records":[`)
	var b []byte
	for i := range zones {
		z := &zones[i]
		if i > 0 {
			w.WriteByte(',')
		}
		w.Write(appendJSONString(append(b[:0], `{"zone":`...), z.Name))
		w.WriteString(`,"records":[`)
		sep := ""
		for _, r := range z.Records {
			b = appendRRsetJSON(append(b[:0], sep...), r.Name, r.Type, r.TTL, r.Data)
			w.Write(b)
			sep = ","
		}
		var ttl uint32
		for r := range stored[cluster.ZoneName(z.Name)].All() {
			ttl = r.TTL
			b = appendRRsetJSON(append(b[:0], sep...), r.Name, r.Type, &ttl, r.Data)
			w.Write(b)
			sep = ","
		}
		w.WriteString("]}")
	}
	w.WriteString("]")
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
