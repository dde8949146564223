package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// validateDNSSEC normalizes a zone's dnssec settings and records their
// faults. Defaults stay out of the document (see ZoneDNSSEC) but take
// part in the comparisons: a refresh of 400h alone is longer than the
// default validity and is refused.
func validateDNSSEC(z *Zone, path string, l *faultList) {
	d := z.DNSSEC
	if d == nil {
		return
	}
	path += ".dnssec"
	d.Algorithm = strings.ToLower(d.Algorithm)
	switch d.Algorithm {
	case "", DNSSECAlgorithmECDSAP256SHA256, DNSSECAlgorithmED25519:
	default:
		l.addf(path+".algorithm", "%q is not supported; use %s or %s", d.Algorithm, DNSSECAlgorithmECDSAP256SHA256, DNSSECAlgorithmED25519)
	}
	d.Keys = strings.ToLower(d.Keys)
	switch d.Keys {
	case "", DNSSECKeysCSK, DNSSECKeysSplit:
	default:
		l.addf(path+".keys", "%q is not one of %s (one combined signing key), %s (a KSK and a ZSK)", d.Keys, DNSSECKeysCSK, DNSSECKeysSplit)
	}
	negative := false
	for _, f := range []struct {
		name string
		v    Duration
	}{
		{"signature_validity", d.SignatureValidity},
		{"signature_refresh", d.SignatureRefresh},
		{"inception_backdate", d.InceptionBackdate},
		{"propagation_delay", d.PropagationDelay},
	} {
		if f.v < 0 {
			l.addf(path+"."+f.name, "%s must not be negative", human(f.v))
			negative = true
		}
	}
	validateTTL(path+".parent_ds_ttl", d.ParentDSTTL, l)
	if negative {
		return // the comparisons below would only repeat it
	}
	eff := d.WithDefaults()
	validity := describeSetting("signature_validity", d.SignatureValidity, eff.SignatureValidity)
	if v := d.SignatureValidity; v != 0 && (v < MinDNSSECSignatureValidity || v > MaxDNSSECSignatureValidity) {
		l.addf(path+".signature_validity", "%s must be between %s and %s", human(v), human(MinDNSSECSignatureValidity), human(MaxDNSSECSignatureValidity))
		return
	}
	if eff.SignatureRefresh >= eff.SignatureValidity {
		l.addf(path+".signature_refresh", "%s must be shorter than %s: a signature is made again that long before it expires",
			describeSetting("signature_refresh", d.SignatureRefresh, eff.SignatureRefresh), validity)
	}
	if eff.InceptionBackdate >= eff.SignatureValidity {
		l.addf(path+".inception_backdate", "%s must be shorter than %s: a signature would be valid only in the past",
			describeSetting("inception_backdate", d.InceptionBackdate, eff.InceptionBackdate), validity)
	}
}

// describeSetting names a duration setting's value for a fault, saying
// when it is the default because the document left it out.
func describeSetting(name string, set, eff Duration) string {
	if set == 0 {
		return fmt.Sprintf("%s (left out: %s)", name, human(eff))
	}
	return fmt.Sprintf("%s %s", name, human(set))
}

// human writes a duration as operators think of DNSSEC timers: in whole
// days, hours or minutes when it is some, as Go writes it otherwise.
func human(d Duration) string {
	const day = 24 * time.Hour
	plural := func(n time.Duration, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch v := d.Std(); {
	case v > 0 && v%day == 0:
		return plural(v/day, "day")
	case v > 0 && v%time.Hour == 0:
		return plural(v/time.Hour, "hour")
	case v > 0 && v%time.Minute == 0:
		return plural(v/time.Minute, "minute")
	default:
		return v.String()
	}
}

// isSignerType reports whether the signer of a signed zone makes records
// of type t; the same type written in the zone's records would clash.
func isSignerType(t uint16) bool {
	switch t {
	case dns.TypeDNSKEY, dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeCDS, dns.TypeCDNSKEY:
		return true
	}
	return false
}

// validateSignedRecords refuses, in a signed zone, the records its signer
// makes itself.
func validateSignedRecords(z *Zone, path string, l *faultList) {
	if !z.Signed() {
		return
	}
	for i, r := range z.Records {
		if isSignerType(dns.StringToType[r.Type]) {
			l.addf(fmt.Sprintf("%s.records[%d].type", path, i), "%s records are made by gtmd in a zone with dnssec enabled; leave them out", r.Type)
		}
	}
}
