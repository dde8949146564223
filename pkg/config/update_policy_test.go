package config

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestUpdatePolicyFaults holds each rule of update_policy to the fault
// it gives, and the documents at its edges that pass.
func TestUpdatePolicyFaults(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"a key, names and types", head + "    update_policy: [{key: ddns-key., names: [\"_acme-challenge.*\", \"@\"], types: [txt]}]\n", ""},
		{"every type", head + "    update_policy: [{key: ddns-key., names: [\"*\"]}]\n", ""},
		{"no names", head + "    update_policy: [{key: k.}]\n", `zones[0].update_policy[0].names: needs at least one name`},
		{"key not a name", head + "    update_policy: [{key: \"a b\", names: [x]}]\n", `zones[0].update_policy[0].key: "a b" is not a valid domain name`},
		{"a name with a space", head + "    update_policy: [{key: k., names: [\"a b\"]}]\n", `zones[0].update_policy[0].names[0]: "a b" is not a name or a glob of names`},
		{"an unknown type", head + "    update_policy: [{key: k., names: [x], types: [AX]}]\n", `zones[0].update_policy[0].types[0]: "AX" is not a record type`},
		{"the SOA", head + "    update_policy: [{key: k., names: [x], types: [SOA]}]\n", `zones[0].update_policy[0].types[0]: SOA records cannot be changed by UPDATE`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTraffic("t.yaml", []byte(tc.doc), "")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestUpdateRuleAllows matches names and types as the README says:
// relative globs below the zone, absolute ones whole, '*' across dots.
func TestUpdateRuleAllows(t *testing.T) {
	acme := UpdateRule{Key: "k.", Names: []string{"_acme-challenge", "_ACME-challenge.*"}, Types: []string{"TXT"}}
	any := UpdateRule{Key: "k.", Names: []string{"*"}}
	abs := UpdateRule{Key: "k.", Names: []string{"*.dyn.example.com.", "@"}, Types: []string{"A", "AAAA"}}
	for _, tc := range []struct {
		rule  UpdateRule
		owner string
		typ   uint16
		want  bool
	}{
		{acme, "_acme-challenge.example.com.", dns.TypeTXT, true},
		{acme, "_acme-challenge.www.example.com.", dns.TypeTXT, true},
		{acme, "_acme-challenge.a.b.example.com.", dns.TypeTXT, true},
		{acme, "_acme-challenge.www.example.com.", dns.TypeA, false},
		{acme, "www.example.com.", dns.TypeTXT, false},
		{acme, "x_acme-challenge.example.com.", dns.TypeTXT, false},
		{any, "example.com.", dns.TypeMX, true},
		{any, "a.b.example.com.", dns.TypeCNAME, true},
		{abs, "host.dyn.example.com.", dns.TypeAAAA, true},
		{abs, "dyn.example.com.", dns.TypeA, false},
		{abs, "example.com.", dns.TypeA, true},
		{abs, "host.dyn.example.com.", dns.TypeTXT, false},
	} {
		if got := tc.rule.Allows("example.com.", tc.owner, tc.typ); got != tc.want {
			t.Errorf("%v allows %s %s: %v, want %v", tc.rule.Names, tc.owner, dns.TypeToString[tc.typ], got, tc.want)
		}
	}
}
