package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/config"
)

var _ admin.ZonesBackend = backend{}

// zoneWriteTimeout bounds the store's part of a zone's replacement: a
// million records are a few thousand transactions.
const zoneWriteTimeout = 10 * time.Minute

// documentZone returns the stored document's zone named zone, from the
// store's latest state, or admin.ErrNotFound.
func documentZone(st *cluster.State, zone string) (*config.Zone, error) {
	if st != nil {
		if z := zoneOf(st.Traffic, zone); z != nil {
			return z, nil
		}
	}
	return nil, fmt.Errorf("zone %s is not in the traffic document: %w", zone, admin.ErrNotFound)
}

// PutZoneRecords reads the master file, checks it whole against the
// document's rules, and only then replaces the zone's records.
func (b backend) PutZoneRecords(ctx context.Context, zone string, body io.Reader) (int64, int, error) {
	s, err := b.running()
	if err != nil {
		return 0, 0, err
	}
	st := s.State()
	z, err := documentZone(st, zone)
	if err != nil {
		return 0, 0, err
	}
	if z.Primary != nil {
		return 0, 0, &config.ValidationError{Faults: []config.Fault{{Message: fmt.Sprintf("zone %s is a secondary: its records come from its primary (%s) at each transfer; change them there", zone, strings.Join(z.Primary.Servers, ", "))}}}
	}
	ttl := z.DefaultTTL()
	zf, err := readZoneFile(body, zoneFileName, zone, ttl)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge), ctx.Err() != nil:
		return 0, 0, err
	case err != nil:
		return 0, 0, &config.ValidationError{Faults: []config.Fault{{Message: err.Error()}}}
	}
	if err := validateZoneRecords(st.Traffic, zone, zf.sets, zf.lines); err != nil {
		return 0, 0, err
	}
	// Only faults are placed at lines: the collector may have them
	// while the records are written (a map of a million).
	zf.lines = nil
	wctx, cancel := context.WithTimeout(ctx, zoneWriteTimeout)
	defer cancel()
	rev, err := s.ReplaceZone(wctx, zone, zf.sets)
	if err != nil {
		return 0, 0, storeErr(err)
	}
	b.audited(ctx, s, audit.ActionZoneRecords, zone, "revision "+strconv.FormatInt(rev, 10)+", "+strconv.Itoa(len(zf.sets))+" RRsets")
	b.n.log.Info("zone records replaced", "zone", zone, "revision", rev, "rrsets", len(zf.sets))
	return rev, len(zf.sets), nil
}

// ZoneRecords writes the zone as the store holds it now.
func (b backend) ZoneRecords(ctx context.Context, zone string, w io.Writer) error {
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return err
	}
	st := s.State()
	z, err := documentZone(st, zone)
	if err != nil {
		return err
	}
	stored, err := s.ZoneRecords(ctx, zone)
	if err != nil {
		return storeErr(err)
	}
	served := cluster.ServedZone(z, stored, true)
	// The zone's own serial, the one its SOA answers carry; the records
	// just read may be newer than the state the node serves from.
	serial := st.ZoneSerial(zone)
	if stored != nil {
		serial = max(serial, stored.Revision)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := writeZoneFile(bw, &served, uint32(serial)); err != nil {
		return err
	}
	return bw.Flush()
}
