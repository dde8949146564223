package resolver

import (
	"net/netip"
	"sync/atomic"

	"github.com/gtmd/gtmd/pkg/config"
)

// decisionSlots is the size of each snapshot's decision table: a power of
// two, about one resolver network per slot before collisions evict.
const decisionSlots = 1 << 13

// decisionTable remembers, for one snapshot, which endpoints a service's
// policy chose for a client network, so repeated queries from the same
// resolver are a lookup rather than a geo lookup and a distance ranking.
// A snapshot's health never changes, so neither do its decisions. A
// snapshot WithHealthChanges derives shares the table, keyed anew for the
// services whose health changed (healthTable.key); any other new snapshot
// starts with an empty table. It is direct-mapped and lock-free:
// a colliding decision simply replaces the old one.
type decisionTable struct {
	slots [decisionSlots]atomic.Pointer[decision]
}

// decision is one remembered choice.
type decision struct {
	// service is the service's key (healthTable.key).
	service int
	client  netip.Prefix
	scope   int
	n       int
	chosen  [config.MaxMultivalueAnswers]int
}

func (t *decisionTable) slot(service int, client netip.Prefix) *atomic.Pointer[decision] {
	a := client.Addr().As16()
	h := uint64(service)*0x9e3779b97f4a7c15 ^ uint64(client.Bits())
	for _, b := range a {
		h = (h ^ uint64(b)) * 0x100000001b3
	}
	return &t.slots[(h^h>>29)&(decisionSlots-1)]
}

// get returns the remembered decision for service and client, or nil.
func (t *decisionTable) get(service int, client netip.Prefix) *decision {
	d := t.slot(service, client).Load()
	if d == nil || d.service != service || d.client != client {
		return nil
	}
	return d
}

// put remembers a decision.
func (t *decisionTable) put(service int, client netip.Prefix, chosen []int, scope int) {
	if len(chosen) > len(decision{}.chosen) {
		return
	}
	d := &decision{service: service, client: client, scope: scope, n: len(chosen)}
	copy(d.chosen[:], chosen)
	t.slot(service, client).Store(d)
}
