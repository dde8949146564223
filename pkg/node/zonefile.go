package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// zoneFileName is what a master file sent to the zones API is called in
// its faults.
const zoneFileName = "zone file"

// zoneFile is a master file read into RRsets, with the line of each
// RRset's first record, for faults found once every record is known.
type zoneFile struct {
	sets  map[string]cluster.RRset
	lines map[string]int
}

// readZoneFile reads a master file for zone, called name in its faults,
// as it streams in (the records are grouped into RRsets as they come;
// the file itself is never held whole). Records take ttl when they give none and follow no $TTL;
// an RRset takes its first record's TTL.
func readZoneFile(r io.Reader, name, zone string, ttl uint32) (*zoneFile, error) {
	zf := &zoneFile{sets: map[string]cluster.RRset{}, lines: map[string]int{}}
	// The zone parser takes any read error for the end of the file: a
	// body cut short (a client gone, the size limit) must not replace
	// the zone with its first part.
	er := &errReader{r: r}
	err := config.StreamZone(er, name, zone, ttl, func(rr dns.RR, line int) error {
		h := rr.Header()
		set := cluster.RRset{Name: dns.CanonicalName(h.Name), Type: config.TypeName(h.Rrtype), TTL: h.Ttl, Source: cluster.SourceData}
		k := set.Key()
		data := config.RData(rr)
		if cur, ok := zf.sets[k]; ok {
			cur.Data = append(cur.Data, data)
			zf.sets[k] = cur
			return nil
		}
		// The owner is held as part of the key, not beside it: a file
		// of a million names holds 24 MB less while it is written.
		set.Name = k[:len(set.Name)]
		set.Data = []string{data}
		zf.sets[k], zf.lines[k] = set, line
		return nil
	})
	if er.err != nil {
		return nil, fmt.Errorf("reading the zone file: %w", er.err)
	}
	if err != nil {
		return nil, err
	}
	return zf, nil
}

// errReader remembers the first read error other than io.EOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// validateZoneRecords checks that zone of doc (a document as stored)
// with sets as its records passes every rule a document's records must:
// CNAMEs alone, nothing below a delegation but glue, no address or CNAME
// at a service's name. A fault about a record is placed at the line of
// its RRset in the file (lines; nil places none).
func validateZoneRecords(doc *config.Traffic, zone string, sets map[string]cluster.RRset, lines map[string]int) error {
	t, err := copyDocument(doc)
	if err != nil {
		return err
	}
	zi := zoneIndex(t, zone)
	if zi < 0 {
		return fmt.Errorf("zone %s is not in the traffic document", zone)
	}
	if err := serviceNameFaults(t, sets, lines); err != nil {
		return err
	}
	t.Zones[zi] = cluster.ServedZone(&t.Zones[zi], cluster.NewZoneRecords(sets), false)
	// A secondary's document holds no records; these are its primary's,
	// checked as any zone's.
	t.Zones[zi].Primary = nil
	keys := make([]string, len(t.Zones[zi].Records))
	for i, r := range t.Zones[zi].Records {
		keys[i] = config.OwnerName(r.Name, zone) + " " + strings.ToUpper(r.Type)
	}
	err = t.Validate()
	var verr *config.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	prefix := fmt.Sprintf("zones[%d].records[", zi)
	for i, f := range verr.Faults {
		rest, ok := strings.CutPrefix(f.Field, prefix)
		if !ok {
			continue
		}
		end := strings.IndexByte(rest, ']')
		idx, err := strconv.Atoi(rest[:max(end, 0)])
		if end < 0 || err != nil || idx >= len(keys) {
			continue
		}
		f.Field = keys[idx]
		if line, ok := lines[keys[idx]]; ok {
			f.File, f.Line = zoneFileName, line
		}
		verr.Faults[i] = f
	}
	return verr
}

// serviceNameFaults are the addresses and CNAMEs at service names among
// sets, each at its line: validation would place them at the service.
func serviceNameFaults(t *config.Traffic, sets map[string]cluster.RRset, lines map[string]int) error {
	services := serviceNames(t)
	var faults []config.Fault
	for k, r := range sets {
		if services[r.Name] && (r.Type == "A" || r.Type == "AAAA" || r.Type == "CNAME") {
			faults = append(faults, config.Fault{File: zoneFileName, Line: lines[k], Field: k,
				Message: r.Name + " is a service: its addresses come from its endpoints, and no CNAME may stand beside them"})
		}
	}
	if len(faults) == 0 {
		return nil
	}
	slices.SortFunc(faults, func(a, b config.Fault) int { return a.Line - b.Line })
	return &config.ValidationError{Faults: faults}
}

// copyDocument is a deep copy of a stored document, which validation
// may change (it fills defaults) while other readers hold the original.
func copyDocument(t *config.Traffic) (*config.Traffic, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("copying the traffic document: %w", err)
	}
	var c config.Traffic
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("copying the traffic document: %w", err)
	}
	return &c, nil
}

// writeZoneFile writes z's SOA (with serial), NS and records as a master
// file.
func writeZoneFile(w io.Writer, z *config.Zone, serial uint32) error {
	name := cluster.ZoneName(z.Name)
	ttl := z.DefaultTTL()
	if _, err := fmt.Fprintf(w, "$ORIGIN %s\n%s\t%d\tIN\tSOA\t%s %s %d %d %d %d %d\n", name, name, ttl,
		dns.Fqdn(z.SOA.MName), dns.Fqdn(z.SOA.RName), serial, z.SOA.Refresh, z.SOA.Retry, z.SOA.Expire, z.SOA.Minimum); err != nil {
		return err
	}
	for _, ns := range z.NS {
		if _, err := fmt.Fprintf(w, "%s\t%d\tIN\tNS\t%s\n", name, ttl, dns.Fqdn(ns)); err != nil {
			return err
		}
	}
	for _, r := range z.Records {
		rttl := ttl
		if r.TTL != nil {
			rttl = *r.TTL
		}
		owner := config.OwnerName(r.Name, name)
		for _, d := range r.Data {
			if _, err := fmt.Fprintf(w, "%s\t%d\tIN\t%s\t%s\n", owner, rttl, strings.ToUpper(r.Type), d); err != nil {
				return err
			}
		}
	}
	return nil
}

// serviceNames is the set of t's service names, canonical.
func serviceNames(t *config.Traffic) map[string]bool {
	out := make(map[string]bool, len(t.Services))
	for _, s := range t.Services {
		out[dns.CanonicalName(s.Name)] = true
	}
	return out
}
