package node

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// A node keeps in its data directory what it needs to answer as it did
// if it is restarted while etcd is unreachable: the document it served,
// and the operators' overrides (drains) and pushed external statuses it
// last saw, which a restart must not lift. It answers from them, with
// its own health checks, until the store answers (fail-static across
// restarts, not only across outages); the store's state replaces them as
// soon as it comes.

// cacheFile is the copy's name in the data directory. The name changed
// when the zones' records moved out of the document into zone_records:
// a binary from before would read the new copy as zones without
// records, and answer NXDOMAIN for all of them until etcd answered, so
// it finds no copy instead. legacyCacheFile is read when cacheFile is
// missing, and removed once cacheFile is written.
const (
	cacheFile       = "served-copy.json"
	legacyCacheFile = "traffic-served.json"
)

// kept is what the copy holds.
type kept struct {
	Revision int64
	// Serials are the zones' SOA serials, by name; nil (a copy kept
	// before zones had their own) gives every zone Revision.
	Serials map[string]uint32
	Traffic *config.Traffic
	// Stored are the zones' stored records by name, beside those
	// Traffic's zones hold (nil: they hold all).
	Stored    map[string]*cluster.ZoneRecords
	Overrides map[health.EndpointKey]health.Override
	External  map[string]health.External
	// KeySets are the signed zones' DNSSEC key sets, private keys sealed
	// as in the store, so a node restarted while etcd is away signs.
	KeySets map[string]cluster.StoredKeySet
}

// same reports whether k and o would write the same copy. The maps are
// the store's immutable ones, so equal contents are compared, not
// pointers.
func (k kept) same(o kept) bool {
	return k.Revision == o.Revision && k.Traffic == o.Traffic && maps.Equal(k.Stored, o.Stored) && maps.Equal(k.Serials, o.Serials) &&
		maps.Equal(k.Overrides, o.Overrides) && maps.Equal(k.External, o.External) &&
		maps.EqualFunc(k.KeySets, o.KeySets, func(a, b cluster.StoredKeySet) bool { return a.Revision == b.Revision })
}

// keptFile is the copy's JSON form.
type keptFile struct {
	Revision  int64                      `json:"revision"`
	Serials   map[string]uint32          `json:"serials,omitempty"`
	Traffic   json.RawMessage            `json:"traffic"`
	Overrides []keptOverride             `json:"overrides,omitempty"`
	External  map[string]health.External `json:"external,omitempty"`
	KeySets   []keptKeySet               `json:"key_sets,omitempty"`
	// ZoneRecords are the zones' records, apart from Traffic (whose zones
	// hold none); a copy written before they were held apart has none.
	ZoneRecords []keptZone `json:"zone_records,omitempty"`
}

// keptKeySet is a zone's key set as the store held it.
type keptKeySet struct {
	Zone     string `json:"zone"`
	Value    []byte `json:"value"`
	Revision int64  `json:"revision"`
}

type keptOverride struct {
	Service  string          `json:"service"`
	Endpoint string          `json:"endpoint"`
	Override health.Override `json:"override"`
}

// saveKept writes the copy whole or not at all, and durably: the new
// file's data reaches the disk before the rename makes it the copy, and
// the rename itself before saveKept returns, so a power cut leaves the
// old copy or the new one, never an empty file. The zones' records are
// written one by one after the rest (zone_records), not encoded into
// one buffer with the document: a zone of a million records made that
// buffer (and encoding/json's pooled one beside it) 130 MB each.
func saveKept(dir string, k kept) error {
	var zones []config.Zone
	var bare *config.Traffic
	if k.Traffic != nil {
		zones = k.Traffic.Zones
		c := *k.Traffic
		c.Zones = slices.Clone(zones)
		for i := range c.Zones {
			c.Zones[i].Records = nil
		}
		bare = &c
	}
	doc, err := json.Marshal(bare)
	if err != nil {
		return fmt.Errorf("encoding the served document: %w", err)
	}
	f := keptFile{Revision: k.Revision, Serials: k.Serials, Traffic: doc, External: k.External}
	for key, o := range k.Overrides {
		f.Overrides = append(f.Overrides, keptOverride{Service: key.Service, Endpoint: key.Endpoint, Override: o})
	}
	for _, ks := range k.KeySets {
		f.KeySets = append(f.KeySets, keptKeySet{Zone: ks.Zone, Value: ks.Value, Revision: ks.Revision})
	}
	head, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encoding the served document: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keeping the served document: %w", err)
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		// head is a JSON object: the records go in before its end.
		bw.Write(head[:len(head)-1])
		writeZoneRecords(bw, zones, k.Stored)
		bw.WriteString("}")
		return bw.Flush()
	}
	if err := writeDurably(dir, cacheFile, write); err != nil {
		return fmt.Errorf("keeping the served document: %w", err)
	}
	// An older copy left beside it would be what a downgraded binary
	// serves: stale.
	if err := os.Remove(filepath.Join(dir, legacyCacheFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return &legacyCopyError{err}
	}
	return nil
}

// legacyCopyError is saveKept's error when the copy is kept but the one
// an earlier build kept cannot be removed.
type legacyCopyError struct{ err error }

func (e *legacyCopyError) Error() string {
	return "removing " + legacyCacheFile + ": " + e.err.Error()
}

func (e *legacyCopyError) Unwrap() error { return e.err }

// keptZone is one zone's records in the copy: the first Document are
// its document's, the rest the store's; a copy written before Document
// was has none, and all are read as the document's.
type keptZone struct {
	Zone     string      `json:"zone"`
	Document *int        `json:"document,omitempty"`
	Records  keptRecords `json:"records"`
}

// writeDurably replaces dir/name with what write writes: write a
// temporary file, fsync it, rename it over name, fsync the directory.
func writeDurably(dir, name string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// loadKept reads the copy; os.ErrNotExist when there is none. A copy
// written before overrides were kept has none. When both the copy and
// an earlier build's are there (the node was downgraded, which wrote
// the earlier one, and upgraded again), the later revision is read.
func loadKept(dir string) (kept, error) {
	k, err := loadKeptFile(filepath.Join(dir, cacheFile))
	if errors.Is(err, os.ErrNotExist) {
		return loadKeptFile(filepath.Join(dir, legacyCacheFile))
	}
	if err != nil {
		return k, err
	}
	if legacy, err := loadKeptFile(filepath.Join(dir, legacyCacheFile)); err == nil && legacy.Revision > k.Revision {
		return legacy, nil
	}
	return k, nil
}

// keptStored are a zone's stored records as the copy holds them: each
// owner absolute and each TTL set (writeZoneRecords), their source not
// kept. An owner outside the zone is a damaged copy.
func keptStored(zone string, recs []config.Record) (*cluster.ZoneRecords, error) {
	sets := make([]cluster.RRset, len(recs))
	for i, r := range recs {
		if !dns.IsSubDomain(zone, r.Name) {
			return nil, fmt.Errorf("zone %s: stored record %s %s is outside the zone", zone, r.Name, r.Type)
		}
		sets[i] = cluster.RRset{Name: r.Name, Type: r.Type, Data: r.Data}
		if r.TTL != nil {
			sets[i].TTL = *r.TTL
		}
	}
	return cluster.ZoneRecordsOf(sets), nil
}

// keptDocument is the copy's document, validated, and its zones' stored
// records. The store's records are taken as the store holds them, not
// validated as a document's (a million took seconds): the snapshot built
// from them reports what it cannot serve, as for the store's own. When
// the document does not pass validation without them (a delegation held
// inline whose glue an UPDATE moved to the store), every record is read
// as the document's, as a copy from before the split is.
func keptDocument(path string, f keptFile) (*config.Traffic, map[string]*cluster.ZoneRecords, error) {
	all := make(map[string][]config.Record, len(f.ZoneRecords))
	doc := make(map[string][]config.Record, len(f.ZoneRecords))
	var stored map[string]*cluster.ZoneRecords
	for _, z := range f.ZoneRecords {
		all[z.Zone] = append(all[z.Zone], z.Records...)
		n := len(z.Records)
		if z.Document != nil && *z.Document >= 0 && *z.Document <= n {
			n = *z.Document
			zs, err := keptStored(cluster.ZoneName(z.Zone), z.Records[n:])
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s: %w", path, err)
			}
			if stored == nil {
				stored = map[string]*cluster.ZoneRecords{}
			}
			stored[cluster.ZoneName(z.Zone)] = zs
		}
		doc[z.Zone] = append(doc[z.Zone], z.Records[:n]...)
	}
	if stored != nil {
		if t, err := config.ParseStoredRecords(path, f.Traffic, doc); err == nil {
			return t, stored, nil
		}
	}
	t, err := config.ParseStoredRecords(path, f.Traffic, all)
	return t, nil, err
}

// loadKeptFile reads the copy at path.
func loadKeptFile(path string) (kept, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return kept{}, err
	}
	var f keptFile
	if err := json.Unmarshal(b, &f); err != nil {
		return kept{}, fmt.Errorf("reading %s: %w", path, err)
	}
	t, stored, err := keptDocument(path, f)
	if err != nil {
		return kept{}, err
	}
	k := kept{Revision: f.Revision, Serials: f.Serials, Traffic: t, Stored: stored, Overrides: map[health.EndpointKey]health.Override{}, External: f.External}
	for _, o := range f.Overrides {
		k.Overrides[health.EndpointKey{Service: o.Service, Endpoint: o.Endpoint}] = o.Override
	}
	if len(f.KeySets) > 0 {
		k.KeySets = map[string]cluster.StoredKeySet{}
		for _, ks := range f.KeySets {
			k.KeySets[ks.Zone] = cluster.StoredKeySet{Zone: ks.Zone, Value: ks.Value, Revision: ks.Revision}
		}
	}
	return k, nil
}
