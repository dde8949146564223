package node

import (
	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnssec"
)

// signingSettings turns a signed zone's dnssec block into the signer's
// settings, with the TTLs the rollover timings are computed from: the
// zone's TTL (its DNSKEY RRset's), the largest TTL of anything in the
// zone, services and stored records (nil: none beside t's) included, and
// its negative TTL.
func signingSettings(t *config.Traffic, zi int, stored *cluster.ZoneRecords) dnssec.Settings {
	z := &t.Zones[zi]
	d := z.DNSSEC.WithDefaults()
	alg, _ := dnssec.ParseAlgorithm(d.Algorithm) // validated with the document
	ttl := z.DefaultTTL()
	maxTTL := max(t.LargestTTL(zi), stored.LargestTTL())
	return dnssec.Settings{
		Algorithm:         alg,
		SplitKeys:         d.Keys == config.DNSSECKeysSplit,
		SignatureValidity: d.SignatureValidity.Std(),
		SignatureRefresh:  d.SignatureRefresh.Std(),
		InceptionBackdate: d.InceptionBackdate.Std(),
		DNSKEYTTL:         ttl,
		MaxTTL:            maxTTL,
		NegativeTTL:       min(ttl, z.SOA.Minimum),
		PropagationDelay:  d.PropagationDelay.Std(),
		ParentDSTTL:       d.ParentDSTTL,
	}
}

// signedZones lists the zones of t that are signed, by lower-case name,
// with their index in t.Zones.
func signedZones(t *config.Traffic) map[string]int {
	out := map[string]int{}
	if t == nil {
		return out
	}
	for i := range t.Zones {
		if t.Zones[i].Signed() {
			out[dns.CanonicalName(t.Zones[i].Name)] = i
		}
	}
	return out
}
