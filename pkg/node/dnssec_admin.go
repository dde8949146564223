package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/dnssec"
	"github.com/gtmd/gtmd/pkg/resolver"
)

var _ admin.DNSSECBackend = backend{}

// signedZone returns a signed zone's settings and its key set as the
// store holds it now (read, not watched, so a call right after an apply
// sees the keys it made); ErrNotFound when the served document does not
// sign the zone, an error when its keys are not made yet.
func (b backend) signedZone(ctx context.Context, zone string) (dnssec.Settings, *dnssec.KeySet, int64, error) {
	zone = dns.CanonicalName(zone)
	b.n.mu.Lock()
	settings, ok := b.n.signing.wanted[zone]
	b.n.mu.Unlock()
	if !ok {
		return settings, nil, 0, fmt.Errorf("%w: the served traffic document does not sign zone %s", admin.ErrNotFound, zone)
	}
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return settings, nil, 0, err
	}
	stored, err := s.KeySet(ctx, zone)
	if errors.Is(err, cluster.ErrNoKeySet) {
		return settings, nil, 0, fmt.Errorf("%w: the keys of zone %s are not made yet (a node with the key-encryption key makes them)", admin.ErrUnavailable, zone)
	}
	if err != nil {
		return settings, nil, 0, storeErr(err)
	}
	ks, err := dnssec.ParseKeySet(stored.Value)
	if err != nil {
		return settings, nil, 0, fmt.Errorf("reading the key set of zone %s: %w", zone, err)
	}
	return settings, ks, stored.Revision, nil
}

func (b backend) DNSSECDS(ctx context.Context, zone string) (string, error) {
	settings, ks, _, err := b.signedZone(ctx, zone)
	if err != nil {
		return "", err
	}
	return ks.DSText(settings.DSTTL()), nil
}

func (b backend) DNSSECStatus(ctx context.Context, zone string) (*admin.DNSSECStatus, error) {
	settings, ks, _, err := b.signedZone(ctx, zone)
	if err != nil {
		return nil, err
	}
	return b.dnssecStatus(settings, ks), nil
}

func (b backend) DNSSECRollover(ctx context.Context, zone string) (*admin.DNSSECStatus, error) {
	if err := b.n.signing.noKEK; err != nil {
		return nil, fmt.Errorf("%w: this node cannot make keys: %v", admin.ErrUnavailable, err)
	}
	return b.changeKeys(ctx, zone, admin.DNSSECActionRollover, func(s dnssec.Settings, ks *dnssec.KeySet) error {
		return ks.StartRollover(s, b.n.signing.kek, b.n.rand, b.n.now())
	})
}

func (b backend) DNSSECSubmitted(ctx context.Context, zone string) (*admin.DNSSECStatus, error) {
	return b.changeKeys(ctx, zone, admin.DNSSECActionSubmitted, func(_ dnssec.Settings, ks *dnssec.KeySet) error {
		return ks.Submitted(b.n.now())
	})
}

// changeKeys applies change to the zone's key set and stores it if the
// store still holds what was read (a refusal of change is ErrConflict),
// then tells the event stream.
func (b backend) changeKeys(ctx context.Context, zone, action string, change func(dnssec.Settings, *dnssec.KeySet) error) (*admin.DNSSECStatus, error) {
	settings, ks, rev, err := b.signedZone(ctx, zone)
	if err != nil {
		return nil, err
	}
	if err := change(settings, ks); err != nil {
		return nil, fmt.Errorf("%w: %v", admin.ErrConflict, err)
	}
	val, err := ks.Marshal()
	if err != nil {
		return nil, err
	}
	s, ctx, cancel, err := b.store(ctx)
	defer cancel()
	if err != nil {
		return nil, err
	}
	if _, err := s.UpdateKeySet(ctx, dns.CanonicalName(zone), val, rev); err != nil {
		var mismatch *cluster.RevisionMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("%w: the key set of zone %s changed meanwhile (a rollover step); try again", admin.ErrConflict, zone)
		}
		return nil, storeErr(err)
	}
	st := b.dnssecStatus(settings, ks)
	b.audited(ctx, s, dnssecAuditAction[action], st.Zone, "")
	b.n.log.Info("DNSSEC "+action, "zone", st.Zone)
	b.n.events.Send(admin.DNSSECChanged{Action: action, DNSSECStatus: *st})
	return st, nil
}

// dnssecStatus is the API's view of a zone's keys on this node.
func (b backend) dnssecStatus(settings dnssec.Settings, ks *dnssec.KeySet) *admin.DNSSECStatus {
	now := b.n.now()
	st := ks.Status(settings, now)
	out := &admin.DNSSECStatus{Zone: dns.CanonicalName(st.Zone), Enabled: true, Keys: []admin.DNSSECKeyStatus{}}
	for _, k := range st.Keys {
		out.Keys = append(out.Keys, admin.DNSSECKeyStatus{Tag: k.Tag, Algorithm: k.Algorithm, Role: string(k.Role), State: string(k.State), Since: k.Since})
		if out.Algorithm == "" {
			out.Algorithm = k.Algorithm
		}
	}
	if r := st.Rollover; r != nil {
		out.Rollover = &admin.DNSSECRolloverStatus{Step: string(r.Step), Started: r.Since, NextStepAt: r.Due}
		if r.Due.IsZero() && r.Waiting != "" {
			out.Rollover.WaitingFor, out.Rollover.Hint = admin.DNSSECWaitingForDS, r.Waiting
		}
	}
	b.n.mu.Lock()
	zs := b.n.signing.zones[out.Zone]
	b.n.mu.Unlock()
	switch {
	case zs == nil:
		out.Degraded = "the node has not read the zone's keys yet"
	case zs.signer == nil:
		out.Degraded = zs.notReady
	default:
		out.SigningReady = true
		out.Signatures.OldestExpiry = zs.signer.OldestExpiry()
	}
	return out
}

// explainSigning is the API's view of how an explained answer is signed.
func explainSigning(e resolver.SigningExplained) *admin.ExplainDNSSEC {
	if !e.Signed {
		return &admin.ExplainDNSSEC{Reason: e.Reason}
	}
	return &admin.ExplainDNSSEC{Signed: true, Algorithm: dnssec.AlgorithmName(e.Algorithm), KeyTags: e.KeyTags}
}

// dnssecAuditAction is the audit trail's action for each DNSSEC action.
var dnssecAuditAction = map[string]string{
	admin.DNSSECActionRollover:  audit.ActionDNSSECRollover,
	admin.DNSSECActionSubmitted: audit.ActionDNSSECSubmitted,
}
