package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnssec"
)

// keyUpkeep is how often a node looks after the signed zones' keys: it
// makes those not made yet and moves rollovers to their next step when
// it is due. Every node does; the store's compare-and-swap lets one
// write land, the others read it through the watch.
const keyUpkeep = time.Second

// keysLoop looks after the keys until ctx ends.
func (n *Node) keysLoop(ctx context.Context) {
	t := time.NewTicker(keyUpkeep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.keepKeys(ctx)
		}
	}
}

// keyWork is one signed zone as keepKeys finds it.
type keyWork struct {
	zone     string
	settings dnssec.Settings
	stored   cluster.StoredKeySet
	made     bool
	signer   *dnssec.ZoneSigner
}

// keepKeys makes missing keys, advances rollovers and refreshes the
// expiry metric. Store calls happen outside the node's lock.
func (n *Node) keepKeys(ctx context.Context) {
	n.mu.Lock()
	var work []keyWork
	for zone, settings := range n.signing.wanted {
		w := keyWork{zone: zone, settings: settings}
		if n.state != nil {
			w.stored, w.made = n.state.KeySets[zone]
		}
		if zs := n.signing.zones[zone]; zs != nil {
			w.signer = zs.signer
		}
		work = append(work, w)
	}
	n.mu.Unlock()
	now := n.now()
	for _, w := range work {
		if w.signer != nil {
			n.signing.metrics.ObserveExpiry(w.signer, now)
		}
		var err error
		if store := n.liveStore.Load(); !w.made && store != nil && store.Connected() {
			err = n.makeKeys(ctx, store, w.zone, w.settings)
		} else if w.made {
			err = n.advanceKeys(ctx, w.zone, w.settings, w.stored)
		}
		if err != nil && ctx.Err() == nil {
			n.log.Warn("cannot look after the zone's DNSSEC keys; trying again", "zone", w.zone, "err", err)
		}
	}
}

// makeKeys makes a zone's first keys and stores them, unless a node did
// first. A node without the key-encryption key makes none. The
// key-encryption key is read without the node's lock: New sets it, and
// nothing changes it after.
func (n *Node) makeKeys(ctx context.Context, store *cluster.Store, zone string, settings dnssec.Settings) error {
	if n.signing.noKEK != nil {
		return nil
	}
	ks, err := dnssec.NewKeySet(zone, settings, n.signing.kek, n.rand, n.now())
	if err != nil {
		return fmt.Errorf("making the keys: %w", err)
	}
	b, err := ks.Marshal()
	if err != nil {
		return fmt.Errorf("making the keys: %w", err)
	}
	_, created, err := store.CreateKeySet(ctx, zone, b)
	if err != nil {
		return fmt.Errorf("storing the keys: %w", err)
	}
	if created {
		n.log.Info("made the zone's DNSSEC keys", "zone", zone, "keys", keyTags(ks))
	}
	return nil
}

// advanceKeys moves the zone's rollover on when its next step is due.
func (n *Node) advanceKeys(ctx context.Context, zone string, settings dnssec.Settings, stored cluster.StoredKeySet) error {
	ks, err := dnssec.ParseKeySet(stored.Value)
	if err != nil {
		return fmt.Errorf("reading the stored key set: %w", err)
	}
	if !ks.Advance(settings, n.now()) {
		return nil
	}
	return n.storeKeySet(ctx, zone, ks, stored.Revision, "rollover step")
}

// storeKeySet writes ks over the key set stored at revision. Another
// node that wrote first wins: its key set comes through the watch.
func (n *Node) storeKeySet(ctx context.Context, zone string, ks *dnssec.KeySet, revision int64, what string) error {
	store := n.liveStore.Load()
	if store == nil {
		return nil
	}
	b, err := ks.Marshal()
	if err != nil {
		return err
	}
	if _, err := store.UpdateKeySet(ctx, zone, b, revision); err != nil {
		var mismatch *cluster.RevisionMismatchError
		if errors.As(err, &mismatch) {
			return nil
		}
		return fmt.Errorf("storing the key set: %w", err)
	}
	if r := ks.Rollover; r != nil {
		n.log.Info("DNSSEC "+what, "zone", zone, "step", r.Step, "old", r.Old, "new", r.New)
	} else {
		n.log.Info("DNSSEC "+what, "zone", zone, "keys", keyTags(ks))
	}
	return nil
}

// makeKeysFor makes the keys of t's signed zones that have none yet,
// before t is stored, so that its first answers are signed and `gtmd
// dnssec ds` has something to print.
func (n *Node) makeKeysFor(ctx context.Context, store *cluster.Store, t *config.Traffic) error {
	var stored map[string]*cluster.ZoneRecords
	if st := store.State(); st != nil {
		stored = st.Zones
	}
	for name, zi := range signedZones(t) {
		if err := n.makeKeys(ctx, store, name, signingSettings(t, zi, stored[name])); err != nil {
			return fmt.Errorf("zone %s: %w", name, err)
		}
	}
	return nil
}

// keyTags lists the tags of a key set's keys.
func keyTags(ks *dnssec.KeySet) []uint16 {
	tags := make([]uint16, len(ks.Keys))
	for i, k := range ks.Keys {
		tags[i] = k.Tag
	}
	return tags
}
