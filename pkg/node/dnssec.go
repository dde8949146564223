package node

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnssec"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// signing is the node's DNSSEC state, kept under Node.mu: its
// key-encryption key, and a signer per signed zone of the served
// document, made from the zone's key set in the store.
type signing struct {
	kek dnssec.KEK
	// noKEK says why the node has no key-encryption key; nil when it has
	// one.
	noKEK   error
	metrics *dnssec.Metrics
	// wanted holds the settings of the served document's signed zones,
	// worked out once per document; zones holds their signers.
	wanted map[string]dnssec.Settings
	zones  map[string]*zoneSigning
}

// zoneSigning is one signed zone: its settings, and the signer made from
// the key set stored at revision, or why there is none.
type zoneSigning struct {
	settings dnssec.Settings
	revision int64
	signer   *dnssec.ZoneSigner
	// notReady says why the zone cannot be signed; "" when signer is set.
	notReady string
}

// newSigning reads the key-encryption key the node file or the
// environment gives. A node without one serves signed zones SERVFAIL or
// unsigned, as its file says; one whose key is unreadable says why.
func newSigning(c *config.Node, getenv func(string) string, m *dnssec.Metrics) signing {
	s := signing{metrics: m, zones: map[string]*zoneSigning{}, wanted: map[string]dnssec.Settings{}}
	k, err := config.LoadKEK(c.DNSSEC, getenv)
	if err != nil {
		s.noKEK = err
		return s
	}
	s.kek = dnssec.KEK(k)
	return s
}

// wantSigningLocked notes the signed zones of a newly served document
// and their settings.
func (n *Node) wantSigningLocked(t *config.Traffic, stored map[string]*cluster.ZoneRecords) {
	n.signing.wanted = map[string]dnssec.Settings{}
	for name, zi := range signedZones(t) {
		n.signing.wanted[name] = signingSettings(t, zi, stored[name])
	}
}

// signZonesLocked makes a signer for every signed zone of the served
// document whose key set or settings are new, and derives n.base from
// the built snapshot with them (always when n.base is nil: a new
// document). It reports whether n.base changed.
func (n *Node) signZonesLocked() bool {
	if n.built == nil {
		return false
	}
	var keySets map[string]cluster.StoredKeySet
	if n.state != nil {
		keySets = n.state.KeySets
	}
	changed := n.base == nil
	for name := range n.signing.zones {
		if _, ok := n.signing.wanted[name]; !ok {
			delete(n.signing.zones, name)
			n.signing.metrics.ForgetZone(name)
			changed = true
		}
	}
	for name, settings := range n.signing.wanted {
		stored, ok := keySets[name]
		cur := n.signing.zones[name]
		if cur != nil && cur.settings == settings && cur.revision == stored.Revision && (ok || cur.revision == 0) {
			continue
		}
		zs := n.makeSigner(name, settings, stored, ok)
		n.signing.zones[name] = zs
		n.signing.metrics.SetSigningReady(name, zs.signer != nil)
		switch {
		case zs.signer == nil && !ok && n.signing.noKEK == nil:
			// This node makes them within a second (keysLoop), or another
			// node has.
			n.log.Info("waiting for the zone's DNSSEC keys", "zone", name)
		case zs.signer == nil && (cur == nil || cur.notReady != zs.notReady):
			n.log.Warn("zone cannot be signed", "zone", name, "reason", zs.notReady, "answers", n.unsignedAnswers())
		case zs.signer != nil && (cur == nil || cur.signer == nil):
			n.log.Info("zone signed", "zone", name, "keys", zs.signer.KeyTags(0))
		}
		changed = true
	}
	if !changed {
		return false
	}
	if len(n.signing.zones) == 0 {
		n.base = n.built
		return true
	}
	zones := make(map[string]resolver.Signing, len(n.signing.zones))
	for name, zs := range n.signing.zones {
		sg := resolver.Signing{Unsigned: n.cfg.DNSSEC.UnsignedFallback}
		if zs.signer != nil {
			// Only a set signer: a nil *ZoneSigner in the interface
			// would read as a signer.
			sg.Signer = zs.signer
		}
		zones[name] = sg
	}
	n.base = n.built.WithSigning(zones)
	return true
}

// makeSigner makes the zone's signer from its stored key set, or says
// why it cannot.
func (n *Node) makeSigner(zone string, settings dnssec.Settings, stored cluster.StoredKeySet, ok bool) *zoneSigning {
	zs := &zoneSigning{settings: settings, revision: stored.Revision}
	switch {
	case !ok:
		zs.notReady = "its keys are not made yet"
		if n.signing.noKEK != nil {
			zs.notReady = "its keys are not made yet, and this node cannot make them: " + n.signing.noKEK.Error()
		}
		return zs
	case n.signing.noKEK != nil:
		zs.notReady = n.signing.noKEK.Error()
		return zs
	}
	ks, err := dnssec.ParseKeySet(stored.Value)
	if err != nil {
		zs.notReady = fmt.Sprintf("its stored key set is unreadable: %v", err)
		return zs
	}
	signer, err := ks.Signer(n.signing.kek, settings, n.now, n.signing.metrics)
	if err != nil {
		zs.notReady = fmt.Sprintf("its keys cannot be opened: %v", err)
		if errors.Is(err, dnssec.ErrWrongKEK) {
			zs.notReady = fmt.Sprintf("its keys were sealed with another key-encryption key (%s); every node needs the same one: %v", ks.KEKID, err)
		}
		return zs
	}
	zs.signer = signer
	return zs
}

// unsignedAnswers says what a zone that cannot be signed answers.
func (n *Node) unsignedAnswers() string {
	if n.cfg.DNSSEC.UnsignedFallback {
		return "unsigned (dnssec.unsigned_fallback)"
	}
	return "SERVFAIL"
}

// signingDegradedLocked says which zones cannot be signed and why, for
// /readyz; "" when every signed zone can be.
func (n *Node) signingDegradedLocked() string {
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(n.signing.zones)) {
		if zs := n.signing.zones[name]; zs.signer == nil {
			lines = append(lines, fmt.Sprintf("zone %s cannot be signed (%s); it answers %s", name, zs.notReady, n.unsignedAnswers()))
		}
	}
	return strings.Join(lines, "; ")
}
