package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/miekg/dns"
)

// mergeZoneFiles reads each zone's zone_file and appends its records to the
// zone's records, so the document that is stored and shared carries them.
func mergeZoneFiles(t *Traffic, baseDir string, l *faultList) {
	for i := range t.Zones {
		z := &t.Zones[i]
		if z.ZoneFile == "" {
			continue
		}
		field := fmt.Sprintf("zones[%d].zone_file", i)
		if baseDir == "" && !filepath.IsAbs(z.ZoneFile) {
			l.addf(field, "relative path %q cannot be resolved here; apply the document from a file or give an absolute path", z.ZoneFile)
			continue
		}
		path := z.ZoneFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		if refused := zoneFileRefused(path); refused != "" {
			l.addf(field, "%s", refused)
			// Cleared like a merged one: the validation that follows
			// treats the zone as having no zone file.
			z.ZoneFile = ""
			continue
		}
		recs, err := readZoneFile(path, dns.CanonicalName(z.Name), z.DefaultTTL())
		if err != nil {
			l.addf(field, "%v", err)
			continue
		}
		z.Records = append(z.Records, recs...)
		z.ZoneFile = ""
	}
}

// readZoneFile parses an RFC 1035 master file into records, one per
// RRset, leaving out the SOA and apex NS that the document itself states.
// It reads the file as the zones API reads a master file (streamZone), and
// stops at the line where the records ($GENERATE's included) go past what
// a document could hold (zoneFileBudget).
func readZoneFile(path, origin string, defTTL uint32) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading zone file: %w", err)
	}
	defer f.Close()
	type key struct {
		name string
		typ  uint16
	}
	index := map[key]int{}
	var recs []Record
	var budget zoneFileBudget
	err = streamZone(f, path, origin, defTTL, budget.made, func(rr dns.RR, _ int) error {
		h := rr.Header()
		if _, named := dns.TypeToString[h.Rrtype]; !named {
			// Validation would refuse it too, but at the merged
			// records, not at the file's line.
			return fmt.Errorf("%s: %s is not a record type gtmd can serve", h.Name, dns.Type(h.Rrtype))
		}
		k := key{strings.ToLower(h.Name), h.Rrtype}
		data := RData(rr)
		i, ok := index[k]
		if over := budget.keep(!ok, h.Name, dns.TypeToString[h.Rrtype], data); over != "" {
			return errors.New(over)
		}
		if ok {
			recs[i].Data = append(recs[i].Data, data)
			return nil
		}
		ttl := h.Ttl
		index[k] = len(recs)
		recs = append(recs, Record{Name: h.Name, Type: dns.TypeToString[h.Rrtype], TTL: &ttl, Data: []string{data}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// DefaultTTL is the TTL of the zone's records that set none: its ttl,
// or DefaultZoneTTL.
func (z *Zone) DefaultTTL() uint32 {
	if z.TTL == nil {
		return DefaultZoneTTL
	}
	return *z.TTL
}

// zoneFileError rewrites miekg/dns's "PATH: dns: bad A A: "1.2.3" at line:
// 4:14" as "PATH:4:14: bad A A: "1.2.3"", the place first as in every
// other fault.
func zoneFileError(path string, err error) error {
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), path+": "), "dns: ")
	if i := strings.LastIndex(msg, " at line: "); i >= 0 {
		return fmt.Errorf("%s:%s: %s", path, msg[i+len(" at line: "):], msg[:i])
	}
	return fmt.Errorf("zone file %s: %w", path, err)
}
