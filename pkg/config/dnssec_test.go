package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// signed is head with a dnssec section whose keys a case adds on the
// same line (line 7; its first key, enabled, is at column 14).
func signed(keys string) string { return head + "    dnssec: {enabled: true" + keys + "}\n" }

// TestDNSSECFaults holds each rule of a zone's dnssec settings with the
// exact fault it gives, and the documents at its edges that pass.
func TestDNSSECFaults(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"enabled alone", signed(""), ""},
		{"off, with settings", head + "    dnssec: {enabled: false, algorithm: ed25519}\n", ""},
		{"algorithm in upper case", signed(", algorithm: ECDSAP256SHA256"), ""},
		{"unsupported algorithm", signed(", algorithm: rsasha1"),
			`t.yaml:7:40: zones[0].dnssec.algorithm: "rsasha1" is not supported; use ecdsap256sha256 or ed25519`},
		{"algorithm by number", signed(", algorithm: 13"),
			`t.yaml:7:40: zones[0].dnssec.algorithm: "13" is not supported; use ecdsap256sha256 or ed25519`},
		{"unknown key layout", signed(", keys: ksk"),
			`t.yaml:7:35: zones[0].dnssec.keys: "ksk" is not one of csk (one combined signing key), split (a KSK and a ZSK)`},
		{"unknown key", signed(", nsec3: true"),
			`t.yaml:7:29: zones[0].dnssec.nsec3: unknown field "nsec3"`},
		{"enabled not a bool", head + "    dnssec: {enabled: yes please}\n",
			`t.yaml:7:23: zones[0].dnssec.enabled: must be true or false, not "yes please"`},
		{"duration without unit", signed(", signature_validity: 336"),
			`t.yaml:7:49: zones[0].dnssec.signature_validity: invalid duration "336" (want a number with a unit, like 5s or 500ms)`},
		{"negative durations", signed(", signature_refresh: -1h, propagation_delay: -5m"),
			`t.yaml:7:48: zones[0].dnssec.signature_refresh: -1h0m0s must not be negative
t.yaml:7:72: zones[0].dnssec.propagation_delay: -5m0s must not be negative`},
		{"validity under an hour", signed(", signature_validity: 30m, signature_refresh: 10m"),
			`t.yaml:7:49: zones[0].dnssec.signature_validity: 30 minutes must be between 1 hour and 365 days
t.yaml:7:73: zones[0].dnssec.signature_refresh: signature_refresh 10 minutes must be longer than the zone's largest TTL, 1 hour (zones[0].ttl left out), plus 1 minute: a signature could expire in a resolver's cache`},
		{"validity over a year", signed(", signature_validity: 8761h"),
			`t.yaml:7:49: zones[0].dnssec.signature_validity: 8761 hours must be between 1 hour and 365 days`},
		{"validity of an hour, refresh shorter", head + "    ttl: 60\n    dnssec: {enabled: true, signature_validity: 1h, signature_refresh: 30m, inception_backdate: 10m}\n", ""},
		{"refresh not shorter than validity", signed(", signature_validity: 48h, signature_refresh: 48h"),
			`t.yaml:7:73: zones[0].dnssec.signature_refresh: signature_refresh 2 days must be shorter than signature_validity 2 days: a signature is made again that long before it expires`},
		{"refresh longer than the default validity", signed(", signature_refresh: 400h"),
			`t.yaml:7:48: zones[0].dnssec.signature_refresh: signature_refresh 400 hours must be shorter than signature_validity (left out: 14 days): a signature is made again that long before it expires`},
		{"validity not longer than the default refresh", signed(", signature_validity: 72h"),
			`t.yaml:7:13: zones[0].dnssec.signature_refresh: signature_refresh (left out: 7 days) must be shorter than signature_validity 3 days: a signature is made again that long before it expires`},
		{"backdate not shorter than validity", head + "    ttl: 60\n    dnssec: {enabled: true, signature_validity: 2h, signature_refresh: 1h, inception_backdate: 2h}\n",
			`t.yaml:8:96: zones[0].dnssec.inception_backdate: inception_backdate 2 hours must be shorter than signature_validity 2 hours: a signature would be valid only in the past`},
		// signature_refresh against the zone's largest TTL (plus a minute):
		// the signer refuses less, so the document must too.
		{"refresh not past the zone TTL left out", signed(", signature_validity: 2h, signature_refresh: 61m"),
			`t.yaml:7:72: zones[0].dnssec.signature_refresh: signature_refresh 61 minutes must be longer than the zone's largest TTL, 1 hour (zones[0].ttl left out), plus 1 minute: a signature could expire in a resolver's cache`},
		{"refresh a second past the zone TTL and a minute", signed(", signature_validity: 2h, signature_refresh: 3661s"), ""},
		{"refresh not past the zone TTL", head + "    ttl: 7200\n    dnssec: {enabled: true, signature_validity: 24h, signature_refresh: 2h}\n",
			`t.yaml:8:73: zones[0].dnssec.signature_refresh: signature_refresh 2 hours must be longer than the zone's largest TTL, 2 hours (zones[0].ttl), plus 1 minute: a signature could expire in a resolver's cache`},
		{"refresh not past a record's TTL", head + "      - {name: www, type: TXT, ttl: 86400, data: [hi]}\n    dnssec: {enabled: true, signature_refresh: 24h}\n",
			`t.yaml:8:48: zones[0].dnssec.signature_refresh: signature_refresh 1 day must be longer than the zone's largest TTL, 1 day (zones[0].records[1].ttl), plus 1 minute: a signature could expire in a resolver's cache`},
		{"refresh not past a service's TTL", signed(", signature_refresh: 2h") + "services:\n  - {name: www.example.com., policy: failover, ttl: 7200, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
			`t.yaml:7:48: zones[0].dnssec.signature_refresh: signature_refresh 2 hours must be longer than the zone's largest TTL, 2 hours (services[0].ttl), plus 1 minute: a signature could expire in a resolver's cache`},
		{"refresh not past a service's TTL left out", head + "    ttl: 30\n    dnssec: {enabled: true, signature_refresh: 90s}\nservices:\n  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
			`t.yaml:8:48: zones[0].dnssec.signature_refresh: signature_refresh 1m30s must be longer than the zone's largest TTL, 1 minute (services[0].ttl left out), plus 1 minute: a signature could expire in a resolver's cache`},
		{"a service of another zone does not count", signed(", signature_refresh: 2h") + "  - name: example.net.\n    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}\n    ns: [ns1.example.com.]\nservices:\n  - {name: www.example.net., policy: failover, ttl: 86400, endpoints: [{id: e, a: [192.0.2.1]}]}\n", ""},
		{"an unsigned zone has no refresh to check", head + "    ttl: 86400\n    dnssec: {enabled: false, signature_refresh: 1h}\n", ""},
		{"parent DS TTL too large", signed(", parent_ds_ttl: 4294967295"),
			`t.yaml:7:44: zones[0].dnssec.parent_ds_ttl: 4294967295 exceeds the largest TTL, 2147483647`},
		{"DNSKEY written in a signed zone", head + "      - {name: \"@\", type: DNSKEY, data: [\"257 3 13 " + testDNSKEY + "\"]}\n    dnssec: {enabled: true}\n",
			`t.yaml:7:27: zones[0].records[1].type: DNSKEY records are made by gtmd in a zone with dnssec enabled; leave them out`},
		{"DNSKEY written in an unsigned zone", head + "      - {name: \"@\", type: DNSKEY, data: [\"257 3 13 " + testDNSKEY + "\"]}\n", ""},
		{"DS at a cut of a signed zone", head + "      - {name: sub, type: NS, data: [ns.example.net.]}\n      - {name: sub, type: DS, data: [\"2371 13 2 " + strings.Repeat("ab", 32) + "\"]}\n    dnssec: {enabled: true}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ParseTraffic("t.yaml", []byte(tc.doc), "")
			if got := errText(err); got != tc.want {
				t.Fatalf("faults differ\n got:\n%s\nwant:\n%s", got, tc.want)
			}
			if err == nil && strings.Contains(tc.doc, "dnssec") && tr.Zones[0].DNSSEC == nil {
				t.Error("the dnssec section was dropped")
			}
		})
	}
}

// testDNSKEY is an ECDSA P-256 public key in presentation format.
const testDNSKEY = "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="

// TestDNSSECNormalized checks the case of the names, and that defaults are
// left out of the document and filled in by WithDefaults.
func TestDNSSECNormalized(t *testing.T) {
	tr, err := ParseTraffic("t.yaml", []byte(signed(", algorithm: Ed25519, keys: SPLIT")), "")
	if err != nil {
		t.Fatal(err)
	}
	z := &tr.Zones[0]
	if want := (ZoneDNSSEC{Enabled: true, Algorithm: "ed25519", Keys: "split"}); *z.DNSSEC != want {
		t.Errorf("stored %+v, want %+v", *z.DNSSEC, want)
	}
	if !z.Signed() {
		t.Error("Signed() is false for an enabled zone")
	}
	want := ZoneDNSSEC{Enabled: true, Algorithm: "ed25519", Keys: "split",
		SignatureValidity: Duration(336 * time.Hour), SignatureRefresh: Duration(168 * time.Hour),
		InceptionBackdate: Duration(90 * time.Minute), PropagationDelay: Duration(time.Hour), ParentDSTTL: 86400}
	if got := z.DNSSEC.WithDefaults(); got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
	if got := (ZoneDNSSEC{}).WithDefaults(); got.Algorithm != DNSSECAlgorithmECDSAP256SHA256 || got.Keys != DNSSECKeysCSK {
		t.Errorf("the default algorithm and keys are %q, %q; want ecdsap256sha256, csk", got.Algorithm, got.Keys)
	}
	for _, tc := range []struct {
		doc    string
		signed bool
	}{{head, false}, {head + "    dnssec: {enabled: false}\n", false}} {
		tr, err := ParseTraffic("t.yaml", []byte(tc.doc), "")
		if err != nil {
			t.Fatal(err)
		}
		if tr.Zones[0].Signed() != tc.signed {
			t.Errorf("%q: Signed() = %v", tc.doc, !tc.signed)
		}
	}
}

// TestDNSSECRoundTrips checks that every dnssec field survives the forms
// the document travels in: the stored JSON (EncodeStored, ParseStored)
// every node reads, and the YAML and JSON that `gtmd get config` prints.
func TestDNSSECRoundTrips(t *testing.T) {
	orig, err := LoadTraffic("testdata/traffic_full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	full := orig.Zones[0].DNSSEC
	// Every field set, so a field a form drops cannot go unnoticed.
	v := reflect.ValueOf(*full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the fixture leaves dnssec.%s unset", v.Type().Field(i).Name)
		}
	}
	yamlForm := checkRoundTrips(t, orig)
	if !strings.Contains(string(yamlForm), "dnssec:\n") || !strings.Contains(string(yamlForm), "signature_validity: 240h0m0s") {
		t.Errorf("the YAML form does not show the dnssec section:\n%s", yamlForm)
	}
}

// TestLargestTTL: a zone's largest TTL counts its own, its records' and
// its services' TTLs, defaults included, and no other zone's services.
func TestLargestTTL(t *testing.T) {
	other := "  - name: example.net.\n    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}\n    ns: [ns1.example.com.]\n"
	service := func(name, ttl string) string {
		return "  - {name: " + name + ", policy: failover, " + ttl + "endpoints: [{id: e, a: [192.0.2.1]}]}\n"
	}
	for _, tc := range []struct {
		name, doc string
		want      uint32
	}{
		{"zone TTL left out", head, DefaultZoneTTL},
		{"zone TTL", head + "    ttl: 20\n", 20},
		{"a record's TTL", head + "      - {name: www, type: TXT, ttl: 7200, data: [hi]}\n", 7200},
		{"a service's TTL left out", head + "    ttl: 20\nservices:\n" + service("www.example.com.", ""), DefaultServiceTTL},
		{"a service's TTL", head + "services:\n" + service("www.example.com.", "ttl: 9000, "), 9000},
		{"another zone's service", head + "    ttl: 20\n" + other + "services:\n" + service("www.example.net.", "ttl: 9000, "), 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ParseTraffic("t.yaml", []byte(tc.doc), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := tr.LargestTTL(0); got != tc.want {
				t.Errorf("largest TTL %d, want %d", got, tc.want)
			}
		})
	}
}
