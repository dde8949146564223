package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

// RevisionMismatchError is returned when a document or a zone's key set
// was written against a revision that is no longer the stored one.
type RevisionMismatchError struct {
	Want, Current int64
	// Zone is the zone whose key set was to be replaced; "" for the
	// traffic document.
	Zone string
}

func (e *RevisionMismatchError) Error() string {
	if e.Zone != "" {
		return fmt.Sprintf("the stored DNSSEC key set of zone %s is at revision %d, not %d", e.Zone, e.Current, e.Want)
	}
	return fmt.Sprintf("the stored traffic document is at revision %d, not %d", e.Current, e.Want)
}

// Conditions of ApplyTraffic.
const (
	// AnyRevision replaces whatever is stored.
	AnyRevision int64 = -1
	// NoDocument stores only when no document is stored yet.
	NoDocument int64 = 0
)

// ApplyTraffic stores a validated traffic document, if the stored
// document's revision is ifRevision (AnyRevision: whatever it is;
// NoDocument: only when none is stored). The document is stored without
// its zones' records, which go to the zones' keys (zones.go) in the same
// transaction, or flipped in by it when they are too many for one
// (zones_doc.go says how they combine with the records already there).
// It returns the revision that stored it, a *RevisionMismatchError, or a
// *config.DocumentTooLargeError when its stored form is over
// config.MaxDocumentBytes (etcd would refuse it).
func (s *Store) ApplyTraffic(ctx context.Context, t *config.Traffic, ifRevision int64) (int64, error) {
	b, err := config.EncodeStored(WithoutRecords(t))
	if err != nil {
		return 0, fmt.Errorf("storing the traffic document: %w", err)
	}
	key := s.keys.traffic()
	var cmps []clientv3.Cmp
	switch {
	case ifRevision == NoDocument:
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(key), "=", 0))
	case ifRevision > 0:
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", ifRevision))
	}
	for attempt := 0; attempt < 3; attempt++ {
		changes, err := s.documentChanges(ctx, t, attempt > 0)
		if err != nil {
			return 0, fmt.Errorf("storing the traffic document: %w", err)
		}
		resp, err := s.commitZones(ctx, cmps, []clientv3.Op{clientv3.OpPut(key, string(b))}, changes, clientv3.OpGet(key, clientv3.WithKeysOnly()))
		if err != nil {
			return 0, fmt.Errorf("storing the traffic document: %w", err)
		}
		if resp.Succeeded {
			return resp.Header.Revision, nil
		}
		var current int64
		if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
			current = kvs[0].ModRevision
		}
		if (ifRevision == NoDocument && current != 0) || (ifRevision > 0 && current != ifRevision) {
			return 0, &RevisionMismatchError{Want: ifRevision, Current: current}
		}
		// A zone's records changed (an UPDATE) since they were read:
		// read them again.
	}
	return 0, errors.New("storing the traffic document: its zones' records kept changing while it was written; apply it again")
}

// ErrNoDocument is returned by Traffic when the store holds none.
var ErrNoDocument = errors.New("the store holds no traffic document")

// Traffic reads the stored traffic document and its revision, each
// zone's records being those the document put there (SourceDocument),
// sorted; a stored document that cannot be read is a
// *RejectedDocumentError.
func (s *Store) Traffic(ctx context.Context) (*config.Traffic, int64, error) {
	resp, err := s.client.Get(ctx, s.keys.traffic())
	if err != nil {
		return nil, 0, fmt.Errorf("reading the traffic document: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, ErrNoDocument
	}
	kv := resp.Kvs[0]
	t, rej := parseStored(kv)
	if rej != nil {
		return nil, 0, rej
	}
	// The document's records change only with it: a state that holds
	// this revision of it holds them, without reading a zone of a
	// million records again.
	zones := map[string]*ZoneRecords{}
	if st := s.State(); st.TrafficRevision == kv.ModRevision {
		zones = st.Zones
	} else {
		for _, z := range t.Zones {
			name := ZoneName(z.Name)
			if zones[name], err = s.readZone(ctx, name); err != nil {
				return nil, 0, fmt.Errorf("reading the traffic document: %w", err)
			}
		}
	}
	return withDocumentRecords(t, zones), kv.ModRevision, nil
}

// SetOverride stores an operator override of an endpoint.
func (s *Store) SetOverride(ctx context.Context, service, endpoint string, o health.Override) error {
	b, _ := json.Marshal(o)
	if _, err := s.client.Put(ctx, s.keys.override(service, endpoint), string(b)); err != nil {
		return fmt.Errorf("storing the override of %s/%s: %w", service, endpoint, err)
	}
	return nil
}

// DeleteOverride clears an override; it reports whether there was one.
func (s *Store) DeleteOverride(ctx context.Context, service, endpoint string) (bool, error) {
	resp, err := s.client.Delete(ctx, s.keys.override(service, endpoint))
	if err != nil {
		return false, fmt.Errorf("clearing the override of %s/%s: %w", service, endpoint, err)
	}
	return resp.Deleted > 0, nil
}

// SetExternal stores the pushed status of an external check.
func (s *Store) SetExternal(ctx context.Context, check string, e health.External) error {
	b, _ := json.Marshal(e)
	if _, err := s.client.Put(ctx, s.keys.external(check), string(b)); err != nil {
		return fmt.Errorf("storing the status of check %s: %w", check, err)
	}
	return nil
}
