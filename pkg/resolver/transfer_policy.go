package resolver

import (
	"net/netip"

	"github.com/gtmd/gtmd/pkg/config"
)

// transferPolicy is who may transfer a zone, and what goes into it.
type transferPolicy struct {
	acls []transferACL
	// services puts service names into transfers, as the answer to a
	// client with no location.
	services bool
}

// transferACL is one allow_transfer entry: a key (lower-case, fully
// qualified) and the networks it may transfer from.
type transferACL struct {
	key      string
	networks []netip.Prefix
}

// newTransferPolicy returns the zone's policy, nil when it allows no
// transfer.
func newTransferPolicy(cz *config.Zone) *transferPolicy {
	if len(cz.AllowTransfer) == 0 {
		return nil
	}
	p := &transferPolicy{services: cz.TransfersServices()}
	for i := range cz.AllowTransfer {
		a := &cz.AllowTransfer[i]
		p.acls = append(p.acls, transferACL{key: a.Key, networks: a.Prefixes()})
	}
	return p
}

// allows reports whether the holder of key may transfer from source.
func (p *transferPolicy) allows(key string, source netip.Addr) bool {
	source = source.Unmap()
	for _, a := range p.acls {
		if a.key != key {
			continue
		}
		for _, n := range a.networks {
			if n.Contains(source) {
				return true
			}
		}
	}
	return false
}
