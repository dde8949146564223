package admintest

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/admin"
)

var _ admin.ZonesBackend = (*Backend)(nil)

// PutZoneRecords keeps the master file as sent, for a zone of the
// document, and counts its records (not RRsets: no model of a store).
func (b *Backend) PutZoneRecords(_ context.Context, zone string, body io.Reader) (int64, int, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the zone file: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.zoneLocked(zone); err != nil {
		return 0, 0, err
	}
	if b.zones == nil {
		b.zones = map[string]string{}
	}
	b.zones[zone] = string(data)
	b.rev++
	return b.rev, strings.Count(string(data), "\n"), nil
}

// ZoneRecords writes back what PutZoneRecords kept.
func (b *Backend) ZoneRecords(_ context.Context, zone string, w io.Writer) error {
	b.mu.Lock()
	err := b.zoneLocked(zone)
	data := b.zones[zone]
	b.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, data)
	return err
}

func (b *Backend) zoneLocked(zone string) error {
	if b.err != nil {
		return b.err
	}
	if b.doc != nil {
		for _, z := range b.doc.Zones {
			if dns.CanonicalName(z.Name) == zone {
				return nil
			}
		}
	}
	return fmt.Errorf("zone %s: %w", zone, admin.ErrNotFound)
}
