package node

import (
	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/dnssec"
)

// signingSettings turns a signed zone's dnssec block into the signer's
// settings, with the TTLs the rollover timings are computed from: the
// zone's TTL (its DNSKEY RRset's), the largest TTL of anything in the
// zone, services included, and its negative TTL.
func signingSettings(t *config.Traffic, z *config.Zone) dnssec.Settings {
	d := z.DNSSEC.WithDefaults()
	alg, _ := dnssec.ParseAlgorithm(d.Algorithm) // validated with the document
	ttl := uint32(config.DefaultZoneTTL)
	if z.TTL != nil {
		ttl = *z.TTL
	}
	maxTTL := ttl
	for i := range z.Records {
		if r := z.Records[i].TTL; r != nil {
			maxTTL = max(maxTTL, *r)
		}
	}
	zones := make([]string, len(t.Zones))
	for i := range t.Zones {
		zones[i] = dns.CanonicalName(t.Zones[i].Name)
	}
	apex := dns.CanonicalName(z.Name)
	for i := range t.Services {
		s := &t.Services[i]
		if config.ZoneOf(dns.CanonicalName(s.Name), zones) != apex {
			continue
		}
		st := uint32(config.DefaultServiceTTL)
		if s.TTL != nil {
			st = *s.TTL
		}
		maxTTL = max(maxTTL, st)
	}
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

// signedZones lists the zones of t that are signed, by lower-case name.
func signedZones(t *config.Traffic) map[string]*config.Zone {
	out := map[string]*config.Zone{}
	if t == nil {
		return out
	}
	for i := range t.Zones {
		if t.Zones[i].Signed() {
			out[dns.CanonicalName(t.Zones[i].Name)] = &t.Zones[i]
		}
	}
	return out
}
