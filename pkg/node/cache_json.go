package node

import (
	"bufio"
	"encoding/json"
	"strconv"

	"github.com/gtmd/gtmd/internal/jsonscan"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// writeZoneRecords writes the copy's zone_records member: for each of
// zones, how many records its document holds, its own records then its
// stored ones (by name, as the store keys them), each written as encoding/json writes a config.Record but
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
		w.Write(jsonscan.AppendString(append(b[:0], `{"zone":`...), z.Name))
		// The document's own records come first, and with them the
		// addresses of its name servers from the store's (the glue the
		// document needs to pass validation alone, as the store keeps
		// it): a reader validates them with the document and takes the
		// rest as the store's, without validating a million records.
		zs := stored[cluster.ZoneName(z.Name)]
		servers := cluster.NameServers(z)
		if z.Primary != nil {
			// A secondary's document holds no records: its name
			// servers' addresses are the primary's, stored.
			servers = nil
		}
		glue := zs.Glue(servers)
		w.Write(strconv.AppendInt(append(b[:0], `,"document":`...), int64(len(z.Records)+len(glue)), 10))
		w.WriteString(`,"records":[`)
		sep := ""
		write := func(name, typ string, ttl *uint32, data []string) {
			b = appendRRsetJSON(append(b[:0], sep...), name, typ, ttl, data)
			w.Write(b)
			sep = ","
		}
		for _, r := range z.Records {
			write(r.Name, r.Type, r.TTL, r.Data)
		}
		for _, r := range glue {
			write(r.Name, r.Type, &r.TTL, r.Data)
		}
		for r := range zs.All() {
			if !cluster.IsGlue(servers, r.Name, r.Type) {
				write(r.Name, r.Type, &r.TTL, r.Data)
			}
		}
		w.WriteString("]}")
	}
	w.WriteString("]")
}

// appendRRsetJSON appends, as encoding/json writes a config.Record, the
// record of name, type, ttl (nil: none) and data.
func appendRRsetJSON(b []byte, name, typ string, ttl *uint32, data []string) []byte {
	b = append(b, `{"name":`...)
	b = jsonscan.AppendString(b, name)
	b = append(b, `,"type":`...)
	b = jsonscan.AppendString(b, typ)
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
			b = jsonscan.AppendString(b, d)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// keptRecords are a zone's records in the copy. Read with encoding/json's
// reflection, a million took 4.9 s of a restart; written as
// writeZoneRecords writes them, they are scanned directly instead, and
// anything else (other keys, numbers, layouts) goes to encoding/json,
// which the scan matches exactly where it succeeds (FuzzKeptRecords).
type keptRecords []config.Record

// UnmarshalJSON reads the records from b, a JSON array.
func (r *keptRecords) UnmarshalJSON(b []byte) error {
	if len(*r) > 0 {
		// Read before (a member written twice): encoding/json decodes
		// into the records it holds.
		return json.Unmarshal(b, (*[]config.Record)(r))
	}
	if recs, ok := scanRecords(b); ok {
		*r = recs
		return nil
	}
	return json.Unmarshal(b, (*[]config.Record)(r))
}

// scanRecords reads b as an array of records; false when it is not one
// the scanner reads exactly as encoding/json would.
func scanRecords(b []byte) ([]config.Record, bool) {
	s := jsonscan.New(b)
	// About 60 bytes a record: room for most without growing.
	out := make([]config.Record, 0, len(b)/64+1)
	ok := s.Elements(func() bool {
		var r config.Record
		ok := s.Members(func(name string) bool {
			var ok bool
			switch name {
			case "name":
				r.Name, ok = s.Str()
			case "type":
				r.Type, ok = s.Str()
			case "ttl":
				r.TTL, ok = nil, true
				if !s.Null() {
					var ttl uint32
					ttl, ok = s.Uint32()
					r.TTL = &ttl
				}
			case "data":
				r.Data, ok = s.Strings()
			}
			// Other members (encoding/json matches names without regard
			// to case, and skips unknown ones) are its to read.
			return ok
		})
		out = append(out, r)
		return ok
	})
	return out, ok && s.End()
}
