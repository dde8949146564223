package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/miekg/dns"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The zones' DNSSEC key sets, one key each under <prefix>dnssec/<zone>.
// Every node signs a zone with the same keys, so any node's answer
// validates: the first node that needs a zone's keys creates them in one
// transaction, and each step of a rollover is a compare-and-swap on the
// revision it read, so a node can continue what another began. The value
// is opaque here (pkg/dnssec's KeySet, its private keys sealed with the
// key-encryption key no store holds). gtmd never deletes a key set: a
// zone taken out of the document and put back signs with the keys whose
// DS the parent still holds.

// MaxKeySetBytes bounds a stored key set. A key set is a few KiB (a
// handful of keys and the rollover state); anything much larger is a
// bug that would be copied to every node and into etcd's history.
const MaxKeySetBytes = 64 << 10

// ErrNoKeySet is returned by KeySet when the store holds none for the
// zone.
var ErrNoKeySet = errors.New("the store holds no DNSSEC key set for the zone")

// ErrKeySetTooLarge is wrapped by the errors of writes whose value is
// over MaxKeySetBytes.
var ErrKeySetTooLarge = errors.New("DNSSEC key set too large")

// StoredKeySet is a zone's DNSSEC key set as the store holds it: opaque
// bytes (pkg/dnssec's KeySet JSON) and the revision that wrote it.
type StoredKeySet struct {
	// Zone is the zone's name, lower case and fully qualified.
	Zone  string
	Value []byte
	// Revision is the etcd revision that wrote Value: the one to give
	// UpdateKeySet to replace it.
	Revision int64
}

// CreateKeySet stores value for zone only if the store holds none (one
// transaction, so two nodes never both create keys); it returns what the
// store holds afterwards (value, or the other node's) and whether this
// call created it.
func (s *Store) CreateKeySet(ctx context.Context, zone string, value []byte) (StoredKeySet, bool, error) {
	zone, err := keySetZone(zone)
	if err == nil {
		err = checkKeySetValue(zone, value)
	}
	if err != nil {
		return StoredKeySet{}, false, fmt.Errorf("creating the DNSSEC key set: %w", err)
	}
	key := s.keys.keySet(zone)
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(value))).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return StoredKeySet{}, false, fmt.Errorf("creating the DNSSEC key set of zone %s: %w", zone, err)
	}
	if resp.Succeeded {
		return StoredKeySet{Zone: zone, Value: value, Revision: resp.Header.Revision}, true, nil
	}
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		// Deleted by hand between the comparison and the read: nothing
		// in one transaction can do that, but say so rather than crash.
		return StoredKeySet{}, false, fmt.Errorf("creating the DNSSEC key set of zone %s: it exists, yet reads as none", zone)
	}
	return StoredKeySet{Zone: zone, Value: kvs[0].Value, Revision: kvs[0].ModRevision}, false, nil
}

// UpdateKeySet replaces the zone's key set if its stored revision is
// still ifRevision (compare-and-swap), returning the new revision or a
// *RevisionMismatchError (Current 0: the store holds none).
func (s *Store) UpdateKeySet(ctx context.Context, zone string, value []byte, ifRevision int64) (int64, error) {
	zone, err := keySetZone(zone)
	if err == nil {
		err = checkKeySetValue(zone, value)
	}
	if err == nil && ifRevision <= 0 {
		err = fmt.Errorf("revision %d: a key set is replaced at the revision it was read at (CreateKeySet makes the first)", ifRevision)
	}
	if err != nil {
		return 0, fmt.Errorf("replacing the DNSSEC key set: %w", err)
	}
	key := s.keys.keySet(zone)
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", ifRevision)).
		Then(clientv3.OpPut(key, string(value))).
		Else(clientv3.OpGet(key, clientv3.WithKeysOnly())).Commit()
	if err != nil {
		return 0, fmt.Errorf("replacing the DNSSEC key set of zone %s: %w", zone, err)
	}
	if !resp.Succeeded {
		var current int64
		if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
			current = kvs[0].ModRevision
		}
		return 0, &RevisionMismatchError{Want: ifRevision, Current: current, Zone: zone}
	}
	return resp.Header.Revision, nil
}

// KeySet reads one zone's key set (ErrNoKeySet when none), linearizably:
// what CreateKeySet or UpdateKeySet on any node returned is there.
func (s *Store) KeySet(ctx context.Context, zone string) (StoredKeySet, error) {
	zone, err := keySetZone(zone)
	if err != nil {
		return StoredKeySet{}, fmt.Errorf("reading the DNSSEC key set: %w", err)
	}
	resp, err := s.client.Get(ctx, s.keys.keySet(zone))
	if err != nil {
		return StoredKeySet{}, fmt.Errorf("reading the DNSSEC key set of zone %s: %w", zone, err)
	}
	if len(resp.Kvs) == 0 {
		return StoredKeySet{}, fmt.Errorf("zone %s: %w", zone, ErrNoKeySet)
	}
	kv := resp.Kvs[0]
	return StoredKeySet{Zone: zone, Value: kv.Value, Revision: kv.ModRevision}, nil
}

// keySetZone returns the name a zone's key set is stored under: lower
// case and fully qualified, as the validated document writes it, so
// "Example.COM" and "example.com." are one zone.
func keySetZone(zone string) (string, error) {
	if _, ok := dns.IsDomainName(zone); !ok || zone == "" {
		return "", fmt.Errorf("%q is not a zone name", zone)
	}
	return dns.CanonicalName(zone), nil
}

// checkKeySetValue refuses what no key set can be.
func checkKeySetValue(zone string, value []byte) error {
	switch {
	case len(value) == 0:
		return fmt.Errorf("zone %s: a key set is never empty", zone)
	case len(value) > MaxKeySetBytes:
		return fmt.Errorf("zone %s: the key set is %d bytes, over the limit of %d: %w", zone, len(value), MaxKeySetBytes, ErrKeySetTooLarge)
	}
	return nil
}
