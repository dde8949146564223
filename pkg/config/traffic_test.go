package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sec is a Duration of n seconds, for expected values.
func sec(n float64) Duration { return Duration(n * float64(time.Second)) }

// wantTrafficFull is testdata/traffic_full.yaml after parsing: names lower
// case and fully qualified, record names absolute, defaults filled in.
func wantTrafficFull() *Traffic {
	return &Traffic{
		Zones: []Zone{
			{
				Name: "example.com.",
				TTL:  new(uint32(300)),
				SOA:  SOA{MName: "ns1.example.com.", RName: "hostmaster.example.com.", Refresh: 7200, Retry: 900, Expire: 1209600, Minimum: 60},
				NS:   []string{"ns1.example.com.", "ns2.example.com."},
				Records: []Record{
					{Name: "ns1.example.com.", Type: "A", Data: []string{"192.0.2.53"}},
					{Name: "ns2.example.com.", Type: "A", Data: []string{"192.0.2.54"}},
					{Name: "child.example.com.", Type: "NS", Data: []string{"ns.child.example.com."}},
					{Name: "ns.child.example.com.", Type: "A", Data: []string{"192.0.2.55"}},
					{Name: "example.com.", Type: "MX", TTL: new(uint32(3600)), Data: []string{"10 mail.example.com."}},
					{Name: "mail.example.com.", Type: "A", Data: []string{"192.0.2.25"}},
					{Name: "*.static.example.com.", Type: "TXT", Data: []string{`"hello"`}},
				},
				DNSSEC: &ZoneDNSSEC{Enabled: true, Algorithm: DNSSECAlgorithmED25519, Keys: DNSSECKeysSplit,
					SignatureValidity: sec(240 * 3600), SignatureRefresh: sec(72 * 3600), InceptionBackdate: sec(2 * 3600),
					PropagationDelay: sec(30 * 60), ParentDSTTL: 3600},
			},
			{
				Name: "example.net.",
				TTL:  new(uint32(DefaultZoneTTL)),
				SOA: SOA{MName: "ns1.example.com.", RName: "hostmaster.example.net.",
					Refresh: DefaultSOARefresh, Retry: DefaultSOARetry, Expire: DefaultSOAExpire, Minimum: DefaultSOAMinimum},
				NS:      []string{"ns1.example.com."},
				Records: []Record{{Name: "example.net.", Type: "TXT", Data: []string{`"v=spf1 -all"`}}},
				// Defaults stay out of the document: WithDefaults fills them.
				DNSSEC: &ZoneDNSSEC{Enabled: true},
			},
		},
		Services: []Service{
			{
				Name: "www.example.com.", Policy: PolicyLatency, TTL: new(uint32(30)), MaxAnswers: 1, WhenAllDown: AllDownAll,
				Endpoints: []Endpoint{
					{
						ID:         "us-east",
						Location:   &LatLon{Lat: 39.04, Lon: -77.49},
						Countries:  []string{"US", "CA", "US-NY"},
						Continents: []string{"NA", "SA"},
						Networks:   []string{"203.0.113.0/24"},
						Priority:   1,
						Weight:     new(100),
						A:          []string{"198.51.100.10", "198.51.100.11"},
						AAAA:       []string{"2001:db8:1::10"},
						Check:      "us-web",
					},
					{
						ID:       "eu-west",
						Location: &LatLon{Lat: 53.34, Lon: -6.26},
						Networks: []string{"203.0.113.128/25", "2001:db8:ff::/48"},
						Bias:     -99,
						A:        []string{"198.51.100.20"},
						Check:    "eu-web",
					},
				},
			},
			{
				Name: "api.example.net.", Policy: PolicyMultivalue, TTL: new(uint32(DefaultServiceTTL)), MaxAnswers: MaxMultivalueAnswers, WhenAllDown: AllDownAll,
				Endpoints: []Endpoint{
					{ID: "a", A: []string{"198.51.100.30"}},
					{ID: "b", AAAA: []string{"2001:DB8::31"}, Check: "both"},
				},
			},
			{
				Name: "docs.example.com.", Policy: PolicyFailover, TTL: new(uint32(DefaultServiceTTL)), MaxAnswers: 1, WhenAllDown: "primary",
				Endpoints: []Endpoint{
					{ID: "primary", Priority: 1, CNAME: "docs.primary.example.org.", Check: "tcp-primary"},
					{ID: "backup", Priority: 2, CNAME: "docs.backup.example.org.", Weight: new(0)},
				},
			},
		},
		Checks: []Check{
			{Name: "us-web", Type: CheckHTTP, URL: "http://198.51.100.10/healthz", Host: "www.example.com", ExpectStatus: []int{200}, ExpectBody: "ok",
				Interval: sec(5), Timeout: sec(2), Rise: 2, Fall: 2},
			{Name: "eu-web", Type: CheckHTTPS, URL: "https://198.51.100.20/healthz", ExpectStatus: []int{200, 204},
				Interval: sec(10), Timeout: sec(1), Rise: 3, Fall: 1},
			{Name: "tcp-primary", Type: CheckTCP, Address: "192.0.2.80:443", Interval: sec(10), Timeout: sec(2), Rise: 2, Fall: 2, Vantage: &Vantage{PerRegion: 2}},
			{Name: "dns-ns", Type: CheckDNS, Address: "192.0.2.53:53", Query: "www.example.com.", QType: "AAAA",
				Interval: sec(10), Timeout: sec(2), Rise: 2, Fall: 2},
			{Name: "both", Type: CheckCalculated, Children: []string{"us-web", "eu-web"}, MinHealthy: 1,
				Interval: sec(10), Timeout: sec(2), Rise: 2, Fall: 2},
			// The default timeout is cut to a shorter interval.
			{Name: "pushed", Type: CheckExternal, Interval: sec(1), Timeout: sec(1), Rise: 2, Fall: 2},
		},
		Settings: Settings{HealthQuorum: 0.5},
	}
}

// diffJSON shows got and want as JSON, for a failure message.
func diffJSON(t *testing.T, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			t.Errorf("first difference at line %d of the JSON:\n got: %s\nwant: %s", i+1, a, b)
			return
		}
	}
	t.Errorf("got %+v\nwant %+v (they differ outside their JSON form: a nil against an empty slice?)", got, want)
}

func TestLoadTrafficFull(t *testing.T) {
	for _, file := range []string{"testdata/traffic_full.yaml", "testdata/traffic_full.json"} {
		t.Run(file, func(t *testing.T) {
			got, err := LoadTraffic(file)
			if err != nil {
				t.Fatalf("LoadTraffic: %v", err)
			}
			if want := wantTrafficFull(); !reflect.DeepEqual(got, want) {
				diffJSON(t, got, want)
			}
		})
	}
}

func TestTrafficJSONMatchesYAML(t *testing.T) {
	y, err := LoadTraffic("testdata/traffic_full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := LoadTraffic("testdata/traffic_full.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, j) {
		diffJSON(t, j, y)
	}

	// Faults in a JSON document are placed and named as in YAML.
	src := `{
  "zones": [{"name": "example.com.", "soa": {"mname": "ns1.example.net.", "rname": "h.example.com."},
             "ns": ["ns1.example.net."], "ttl": "long", "colour": "red"}]
}`
	want := `t.json:3:49: zones[0].ttl: must be a whole number from 0 to 4294967295, not "long"
t.json:3:57: zones[0].colour: unknown field "colour"`
	_, err = ParseTraffic("t.json", []byte(src), "")
	if got := errText(err); got != want {
		t.Errorf("JSON faults:\n got: %s\nwant: %s", got, want)
	}
}

// errText is err's text, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// head is a valid zone that fault cases add to; its lines are 1 to 6, so
// the first line a case adds is line 7.
const head = `zones:
  - name: example.com.
    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}
    ns: [ns1.example.com.]
    records:
      - {name: ns1, type: A, data: [192.0.2.53]}
`

// svc starts a services list after head; a case's first service is line 8.
const svc = head + "services:\n"

// chk starts a checks list after head; a case's first check is line 8.
const chk = head + "checks:\n"

// trafficFaultCases are small documents and the exact error each gives;
// want "" means the document is valid.
var trafficFaultCases = []struct {
	name, doc, want string
}{
	// Decoding.
	{"valid head", head, ""},
	{"unknown top-level key", head + "bogus: 1\n",
		`t.yaml:7:1: bogus: unknown field "bogus"`},
	{"unknown zone key", head + "    colour: red\n",
		`t.yaml:7:5: zones[0].colour: unknown field "colour"`},
	{"unknown record key", head + "      - {name: www, type: A, data: [192.0.2.1], prio: 1}\n",
		`t.yaml:7:49: zones[0].records[1].prio: unknown field "prio"`},
	{"unknown key in endpoint location", svc + "  - {name: www.example.com., policy: latency, endpoints: [{id: e, a: [192.0.2.1], location: {lat: 1, lon: 2, alt: 3}}]}\n",
		`t.yaml:8:110: services[0].endpoints[0].location.alt: unknown field "alt"`},
	{"unknown settings key", head + "settings: {quorum: 0.5}\n",
		`t.yaml:7:12: settings.quorum: unknown field "quorum"`},
	{"string for an unsigned int", head + "    ttl: long\n",
		`t.yaml:7:10: zones[0].ttl: must be a whole number from 0 to 4294967295, not "long"`},
	{"negative unsigned int", head + "    ttl: -1\n",
		`t.yaml:7:10: zones[0].ttl: must be a whole number from 0 to 4294967295, not -1`},
	{"string for an int in a flow mapping", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, priority: high, a: [192.0.2.1]}]}\n",
		`t.yaml:8:78: services[0].endpoints[0].priority: must be a whole number, not "high"`},
	{"wrong types share a line", `zones:
  - name: example.com.
    soa: {mname: ns1.example.com., rname: hostmaster.example.com., retry: soon, expire: soon, minimum: [1]}
    ns: [ns1.example.com.]
    records: {ns1: 192.0.2.53}
`, `t.yaml:3:75: zones[0].soa.retry: must be a whole number from 0 to 4294967295, not "soon"
t.yaml:3:89: zones[0].soa.expire: must be a whole number from 0 to 4294967295, not "soon"
t.yaml:3:104: zones[0].soa.minimum: must be a whole number from 0 to 4294967295, not a list
t.yaml:4:10: zones[0].ns[0]: name server ns1.example.com. is inside the zone but has no A or AAAA record (glue)
t.yaml:5:14: zones[0].records: must be a list, not a mapping`},
	{"bool", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, default: maybe, a: [192.0.2.1]}]}\n",
		`t.yaml:8:55: services[0].endpoints[0]: a geo endpoint needs countries, continents, networks or default: true
t.yaml:8:72: services[0].endpoints[0].default: must be true or false, not "maybe"`},
	{"bad duration", chk + "  - {name: c, type: external, interval: 5 minutes}\n",
		`t.yaml:8:41: checks[0].interval: invalid duration "5 minutes" (want a number with a unit, like 5s or 500ms)`},
	{"duration without unit", chk + "  - {name: c, type: external, timeout: 5}\n",
		`t.yaml:8:40: checks[0].timeout: invalid duration "5" (want a number with a unit, like 5s or 500ms)`},
	// yaml drops a mapping with a key set twice, so nothing is validated.
	{"duplicate top-level key", head + "settings: {health_quorum: 0.5}\nsettings: {health_quorum: 0.6}\n",
		`t.yaml:8:1: settings: is set twice; first at line 7`},
	{"duplicate keys deeper", head + `    name: example.org.
services:
  - {name: www.example.com., policy: failover, policy: geo, endpoints: [{id: e, a: [192.0.2.1], bogus: 1}]}
  - {name: api.example.com., endpoints: {a: 1, a: 2}}
`, `t.yaml:7:5: zones[0].name: is set twice; first at line 2
t.yaml:9:48: services[0].policy: is set twice; first at line 9
t.yaml:9:97: services[0].endpoints[0].bogus: unknown field "bogus"
t.yaml:10:48: services[1].endpoints.a: is set twice; first at line 10`},
	// yaml counts the lines of some syntax errors from 0; the faults
	// count from 1, as editors do.
	{"YAML syntax error at the end", head + "services: [\n",
		`t.yaml:8: invalid YAML: did not find expected node content`},
	{"YAML unclosed flow sequence", head + "    ns: [ns1.example.com.\nservices: []\n",
		`t.yaml:7: invalid YAML: did not find expected ',' or ']'`},
	// yaml places this one at the start of the mapping it was reading.
	{"YAML bad indentation in a block sequence", head + "     - {name: www, type: A, data: [192.0.2.1]}\n",
		`t.yaml:2: invalid YAML: did not find expected key`},
	{"YAML value where a key belongs", head + "    ns: a: b\n",
		`t.yaml:7: invalid YAML: mapping values are not allowed in this context`},
	{"YAML tab indentation", "zones:\n\t- name: example.com.\n",
		`t.yaml:2: invalid YAML: found character that cannot start any token`},
	{"second document", head + "---\nzones: []\n",
		`t.yaml:7:1: a second YAML document starts here; a file holds one document`},
	{"trailing document marker", head + "---\n", ""},
	{"anchors and merge keys", svc + `  - name: www.example.com.
    policy: failover
    endpoints:
      - &base {id: a, priority: 1, a: [192.0.2.1], check: nope}
      - {<<: *base, id: b, priority: 2, colour: red}
`, `t.yaml:11:59: services[0].endpoints[0].check: check "nope" does not exist
t.yaml:11:59: services[0].endpoints[1].check: check "nope" does not exist
t.yaml:12:41: services[0].endpoints[1].colour: unknown field "colour"`},
	{"empty document", "", `t.yaml: zones: needs at least one zone`},
	{"comment only", "# nothing yet\n", `t.yaml: zones: needs at least one zone`},
	{"empty zone list", "zones: []\n", `t.yaml:1:8: zones: needs at least one zone`},
	{"list at the top", "- zones\n",
		`t.yaml:1:1: the document must be a mapping of keys to values, not a list`},
	{"scalar at the top", "zones\n",
		`t.yaml:1:1: the document must be a mapping of keys to values, not "zones"`},

	// Zones.
	{"zone name missing", `zones:
  - soa: {mname: ns1.example.net., rname: h.example.net.}
    ns: [ns1.example.net.]
`, `t.yaml:2:5: zones[0].name: is required`},
	{"zone name invalid", `zones:
  - name: "exa mple.com."
    soa: {mname: ns1.example.net., rname: h.example.net.}
    ns: [ns1.example.net.]
`, `t.yaml:2:11: zones[0].name: "exa mple.com." is not a valid domain name (this name is absolute, with or without its trailing dot)`},
	{"zone name invalid, and the rest of the zone still checked", `zones:
  - name: bad..zone
    soa: {mname: x.example.net.}
`, `t.yaml:2:5: zones[0].ns: needs at least one name server
t.yaml:2:11: zones[0].name: "bad..zone" is not a valid domain name (this name is absolute, with or without its trailing dot)
t.yaml:3:10: zones[0].soa.rname: is required`},
	{"zone name with an empty label", `zones:
  - name: example..com.
    soa: {mname: ns1.example.net., rname: h.example.net.}
    ns: [ns1.example.net.]
`, `t.yaml:2:11: zones[0].name: "example..com." is not a valid domain name (this name is absolute, with or without its trailing dot)`},
	{"duplicate zone", head + `  - name: EXAMPLE.com
    soa: {mname: ns1.example.com., rname: hostmaster.example.com.}
    ns: [ns1.example.com.]
`, `t.yaml:7:11: zones[1].name: zone example.com. is already defined at zones[0]
t.yaml:9:10: zones[1].ns[0]: name server ns1.example.com. is inside the zone but has no A or AAAA record (glue)`},
	{"soa without mname and rname", `zones:
  - name: example.com.
    soa: {refresh: 3600}
    ns: [ns1.example.net.]
`, `t.yaml:3:10: zones[0].soa.mname: is required
t.yaml:3:10: zones[0].soa.rname: is required`},
	{"no soa at all", `zones:
  - name: example.com.
    ns: [ns1.example.net.]
`, `t.yaml:2:5: zones[0].soa.mname: is required
t.yaml:2:5: zones[0].soa.rname: is required`},
	{"rname written as a mail address", `zones:
  - name: example.com.
    soa: {mname: ns1.example.net., rname: hostmaster@example.com.}
    ns: [ns1.example.net.]
`, `t.yaml:3:43: zones[0].soa.rname: "hostmaster@example.com." is a mailbox written as a domain name: hostmaster.example.com., not hostmaster@example.com`},
	{"no name servers", `zones:
  - name: example.com.
    soa: {mname: ns1.example.net., rname: h.example.com.}
`, `t.yaml:2:5: zones[0].ns: needs at least one name server`},
	{"empty name server list", `zones:
  - name: example.com.
    soa: {mname: ns1.example.net., rname: h.example.com.}
    ns: []
`, `t.yaml:4:9: zones[0].ns: needs at least one name server`},
	{"invalid name server, no glue fault as well", `zones:
  - name: example.com.
    soa: {mname: ns1.example.net., rname: h.example.com.}
    ns: ["ns 1.example.com."]
`, `t.yaml:4:10: zones[0].ns[0]: "ns 1.example.com." is not a valid domain name (a name in a zone is relative to the zone unless it ends in a dot, as in zone files)`},
	{"in-zone name server without glue", `zones:
  - name: example.com.
    soa: {mname: ns1.example.com., rname: h.example.com.}
    ns: [ns1.example.com., ns2.example.com., ns.example.net.]
    records:
      - {name: ns1, type: AAAA, data: ["2001:db8::53"]}
`, `t.yaml:4:28: zones[0].ns[1]: name server ns2.example.com. is inside the zone but has no A or AAAA record (glue)`},
	{"zone ttl too large", head + "    ttl: 2147483648\n",
		`t.yaml:7:10: zones[0].ttl: 2147483648 exceeds the largest TTL, 2147483647`},

	// Records.
	{"record name missing", head + "      - {type: A, data: [192.0.2.1]}\n",
		`t.yaml:7:9: zones[0].records[1].name: must not be empty (use "@" for the apex)`},
	{"record name invalid", head + "      - {name: \"a..b\", type: A, data: [192.0.2.1]}\n",
		`t.yaml:7:16: zones[0].records[1].name: "a..b" is not a valid domain name (a name in a zone is relative to the zone unless it ends in a dot, as in zone files)`},
	{"record outside the zone", head + "      - {name: www.example.net., type: A, data: [192.0.2.1]}\n",
		`t.yaml:7:16: zones[0].records[1].name: www.example.net. is outside zone example.com.`},
	{"record in a zone that only ends alike", head + "      - {name: www.notexample.com., type: A, data: [192.0.2.1]}\n",
		`t.yaml:7:16: zones[0].records[1].name: www.notexample.com. is outside zone example.com.`},
	{"unknown record type", head + "      - {name: www, type: AX, data: [192.0.2.1]}\n",
		`t.yaml:7:27: zones[0].records[1].type: "AX" is not a record type gtmd can serve`},
	{"meta type", head + "      - {name: www, type: ANY, data: [192.0.2.1]}\n",
		`t.yaml:7:27: zones[0].records[1].type: "ANY" is not a record type gtmd can serve`},
	{"SOA in records", head + "      - {name: \"@\", type: soa, data: [\"ns1 h 1 2 3 4 5\"]}\n",
		`t.yaml:7:27: zones[0].records[1].type: the SOA record comes from the zone's soa settings, not from records`},
	{"apex NS in records", head + "      - {name: example.com., type: NS, data: [ns2.example.net.]}\n",
		`t.yaml:7:36: zones[0].records[1].type: the apex NS records come from the zone's ns list, not from records`},
	{"CNAME at the apex", head + "      - {name: \"@\", type: CNAME, data: [www.example.net.]}\n",
		`t.yaml:7:27: zones[0].records[1].type: a CNAME cannot stand at the zone apex`},
	{"CNAME with other data", head + `      - {name: www, type: TXT, data: ["\"x\""]}
      - {name: www, type: CNAME, data: [web.example.net.]}
`, `t.yaml:8:16: zones[0].records[2].name: www.example.com. has a CNAME and other records; a CNAME must stand alone (RFC 1034)`},
	{"CNAME with two targets", head + "      - {name: www, type: CNAME, data: [a.example.net., b.example.net.]}\n",
		`t.yaml:7:40: zones[0].records[1].data: a CNAME has exactly one target`},
	{"record without data", head + "      - {name: www, type: A}\n",
		`t.yaml:7:9: zones[0].records[1].data: needs at least one value`},
	{"record ttl too large", head + "      - {name: www, type: A, ttl: 4294967295, data: [192.0.2.1]}\n",
		`t.yaml:7:35: zones[0].records[1].ttl: 4294967295 exceeds the largest TTL, 2147483647`},
	{"duplicate RRset", head + `      - {name: www, type: A, data: [192.0.2.1]}
      - {name: WWW.example.com., type: a, data: [192.0.2.2]}
`, `t.yaml:8:9: zones[0].records[2]: www.example.com. A is already defined at records[1]; list every value in one data list`},
	{"bad A data", head + "      - {name: www, type: A, data: [192.0.2.1, 192.0.2]}\n",
		`t.yaml:7:36: zones[0].records[1].data: data[1] "192.0.2" is not valid A data: bad A A: "192.0.2"`},
	{"IPv6 in A data", head + "      - {name: www, type: A, data: [\"2001:db8::1\"]}\n",
		`t.yaml:7:36: zones[0].records[1].data: data[0] "2001:db8::1" is not valid A data: bad A A: "2001:db8::1"`},
	{"MX without preference", head + "      - {name: \"@\", type: MX, data: [mail.example.com.]}\n",
		`t.yaml:7:37: zones[0].records[1].data: data[0] "mail.example.com." is not valid MX data: bad MX Pref: "mail.example.com."`},
	{"two values in one data item", head + "      - {name: www, type: A, data: [\"192.0.2.1 192.0.2.2\"]}\n",
		`t.yaml:7:36: zones[0].records[1].data: data[0] "192.0.2.1 192.0.2.2" is not valid A data: garbage after rdata: "192.0.2.2"`},
	{"data on two lines", head + "      - {name: www, type: TXT, data: [\"\\\"a\\\"\\n\\\"b\\\"\"]}\n",
		`t.yaml:7:38: zones[0].records[1].data: data[0] "\"a\"\n\"b\"": must be one line`},
	{"record below a delegation", head + `      - {name: child, type: NS, data: [ns.child.example.com.]}
      - {name: ns.child, type: A, data: [192.0.2.54]}
      - {name: www.child, type: TXT, data: ["\"hidden\""]}
      - {name: deep.ns.child, type: MX, data: ["10 mail.example.com."]}
`, `t.yaml:9:16: zones[0].records[3].name: www.child.example.com. is below the delegation at child.example.com.; only glue (A, AAAA) may be there
t.yaml:10:16: zones[0].records[4].name: deep.ns.child.example.com. is below the delegation at child.example.com.; only glue (A, AAAA) may be there`},
	{"delegation below a delegation", head + `      - {name: child, type: NS, data: [ns.example.net.]}
      - {name: grand.child, type: NS, data: [ns.example.net.]}
`, `t.yaml:8:16: zones[0].records[2].name: grand.child.example.com. is below the delegation at child.example.com.; only glue (A, AAAA) may be there`},
	{"data at a delegation", head + `      - {name: child, type: NS, data: [ns.example.net.]}
      - {name: child, type: DS, data: ["12345 13 2 3D9E4B3B16EC0AC1BC6A2DE1B1F37F3B3EA7E8F2A85A0E0FD4BD7C9A2D5C8B53"]}
      - {name: child, type: TXT, data: ["\"hidden\""]}
      - {name: child, type: A, data: [192.0.2.9]}
`, `t.yaml:9:29: zones[0].records[3].type: child.example.com. is delegated, so a TXT record there would never be answered; only NS, DS and glue (A, AAAA) may be there`},
	{"delegation without glue", head + `      - {name: child, type: NS, data: [ns1.child.example.com., ns1.example.com., ns.example.net.]}
      - {name: other, type: NS, data: [ns.other]}
`, `t.yaml:7:40: zones[0].records[1].data[0]: name server ns1.child.example.com. is inside the zone but has no A or AAAA record (glue)
t.yaml:8:40: zones[0].records[2].data[0]: name server ns.other.example.com. is inside the zone but has no A or AAAA record (glue) ("ns.other" has no trailing dot, so it is ns.other.example.com.: a name in a zone is relative to the zone unless it ends in a dot, as in zone files; write "ns.other." for the name as it is)`},

	// Services: where they stand.
	{"service name missing", svc + "  - {policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:5: services[0].name: is required`},
	{"service outside every zone", svc + "  - {name: www.example.net., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:12: services[0].name: www.example.net. is outside every zone of this document`},
	{"service below a delegation", head + `      - {name: child, type: NS, data: [ns.example.net.]}
services:
  - {name: www.child.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}
  - {name: child.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}
`, `t.yaml:9:12: services[0].name: www.child.example.com. is at or below the delegation at child.example.com.
t.yaml:10:12: services[1].name: child.example.com. is at or below the delegation at child.example.com.`},
	{"service colliding with a static A", svc + "  - {name: NS1.example.com, policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:12: services[0].name: ns1.example.com. also has a static A record; a name's addresses come from the service or from records, not both`},
	{"service beside a static TXT is fine", head + `      - {name: www, type: TXT, data: ["\"v=1\""]}
services:
  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}
`, ""},
	{"cname service with static records", head + `      - {name: www, type: TXT, data: ["\"v=1\""]}
services:
  - {name: www.example.com., policy: failover, endpoints: [{id: e, cname: web.example.net.}]}
`, `t.yaml:9:12: services[0].name: www.example.com. answers with a CNAME, so it cannot also have static records`},
	{"cname service at the apex", svc + "  - {name: example.com., policy: failover, endpoints: [{id: e, cname: web.example.net.}]}\n",
		`t.yaml:8:12: services[0].name: example.com. is the zone apex, which holds the SOA and NS records, so it cannot answer with a CNAME`},
	{"address service at the apex is fine", svc + "  - {name: example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}\n", ""},
	{"wildcard service", svc + "  - {name: \"*.example.com.\", policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:12: services[0].name: a service cannot be a wildcard name`},
	{"duplicate service", svc + `  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}
  - {name: WWW.example.com, policy: failover, endpoints: [{id: e, a: [192.0.2.1]}]}
`, `t.yaml:9:12: services[1].name: service www.example.com. is already defined at services[0]`},

	// Services: policy and answers.
	{"policy missing", svc + "  - {name: www.example.com., endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:5: services[0].policy: must be set (failover, geo, latency, geoproximity, weighted, multivalue)`},
	{"bad policy", svc + "  - {name: www.example.com., policy: roundrobin, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:38: services[0].policy: "roundrobin" is not one of failover, geo, latency, geoproximity, weighted, multivalue`},
	{"max_answers above 8", svc + "  - {name: www.example.com., policy: multivalue, max_answers: 9, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:63: services[0].max_answers: 9 must be between 1 and 8`},
	{"max_answers negative", svc + "  - {name: www.example.com., policy: weighted, max_answers: -1, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:61: services[0].max_answers: -1 must be between 1 and 8`},
	{"service ttl too large", svc + "  - {name: www.example.com., policy: weighted, ttl: 3000000000, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:53: services[0].ttl: 3000000000 exceeds the largest TTL, 2147483647`},
	{"no endpoints", svc + "  - {name: www.example.com., policy: failover}\n",
		`t.yaml:8:5: services[0].endpoints: needs at least one endpoint`},
	{"empty endpoint list", svc + "  - {name: www.example.com., policy: failover, endpoints: []}\n",
		`t.yaml:8:59: services[0].endpoints: needs at least one endpoint`},
	{"duplicate endpoint id", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}, {id: e, a: [192.0.2.2]}]}\n",
		`t.yaml:8:90: services[0].endpoints[1].id: endpoint "e" is already defined in this service`},
	{"invalid endpoint id", svc + `  - name: www.example.com.
    policy: failover
    endpoints:
      - {id: "us east", a: [192.0.2.1]}
      - {id: "", a: [192.0.2.2]}
      - {id: -us, a: [192.0.2.3]}
`, `t.yaml:11:14: services[0].endpoints[0].id: "us east" is not a valid endpoint id (letters, digits, '-', '_', '.'; at most 63)
t.yaml:12:14: services[0].endpoints[1].id: "" is not a valid endpoint id (letters, digits, '-', '_', '.'; at most 63)
t.yaml:13:14: services[0].endpoints[2].id: "-us" is not a valid endpoint id (letters, digits, '-', '_', '.'; at most 63)`},
	{"endpoint with no address", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, priority: 1}]}\n",
		`t.yaml:8:60: services[0].endpoints[0]: endpoint has no address: give a, aaaa, cname or target`},
	{"cname and addresses on one endpoint", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1], cname: web.example.net.}]}\n",
		`t.yaml:8:91: services[0].endpoints[0].cname: an endpoint answers with a cname or with addresses, not both`},
	{"mixed cname and address endpoints", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1]}, {id: f, cname: web.example.net.}]}\n",
		`t.yaml:8:59: services[0].endpoints: endpoints answer either with a cname or with addresses, not a mix`},
	{"cname endpoints under multivalue", svc + "  - {name: www.example.com., policy: multivalue, endpoints: [{id: e, cname: web.example.net.}]}\n",
		`t.yaml:8:5: services[0].max_answers: a CNAME answer holds one endpoint; max_answers must be 1`},
	{"target and addresses on one endpoint", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1], target: lb.example.net.}]}\n",
		`t.yaml:8:92: services[0].endpoints[0].target: an endpoint answers with a target or with a, aaaa or cname, not both`},
	{"relative target", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, target: lb.example.net}]}\n",
		`t.yaml:8:76: services[0].endpoints[0].target: "lb.example.net" must be an absolute name ending in a dot ("lb.example.net."): a target is never taken relative to the zone`},
	{"invalid target", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, target: \"lb..example.net.\"}]}\n",
		`t.yaml:8:76: services[0].endpoints[0].target: "lb..example.net." is not a valid host name`},
	{"root target", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, target: .}]}\n",
		`t.yaml:8:76: services[0].endpoints[0].target: the root is not a host name`},
	{"target under latency without a location", svc + "  - {name: www.example.com., policy: latency, endpoints: [{id: e, target: lb.example.net.}]}\n",
		`t.yaml:8:59: services[0].endpoints[0].location: the latency policy needs a location for every endpoint`},
	{"invalid cname", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, cname: \"web..example.net.\"}]}\n",
		`t.yaml:8:75: services[0].endpoints[0].cname: "web..example.net." is not a valid domain name (a name in a zone is relative to the zone unless it ends in a dot, as in zone files)`},
	{"bad addresses", svc + `  - name: www.example.com.
    policy: failover
    endpoints:
      - id: e
        a: [192.0.2.1, 192.0.2, "2001:db8::1", "::ffff:192.0.2.1"]
        aaaa: ["2001:db8::1", 192.0.2.1, "::ffff:192.0.2.1", "2001:db8::g"]
`, `t.yaml:12:24: services[0].endpoints[0].a[1]: "192.0.2" is not an IPv4 address
t.yaml:12:33: services[0].endpoints[0].a[2]: "2001:db8::1" is not an IPv4 address
t.yaml:12:48: services[0].endpoints[0].a[3]: "::ffff:192.0.2.1" is not an IPv4 address
t.yaml:13:31: services[0].endpoints[0].aaaa[1]: "192.0.2.1" is not an IPv6 address
t.yaml:13:42: services[0].endpoints[0].aaaa[2]: "::ffff:192.0.2.1" is not an IPv6 address
t.yaml:13:62: services[0].endpoints[0].aaaa[3]: "2001:db8::g" is not an IPv6 address`},
	{"unknown check", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, a: [192.0.2.1], check: nope}]}\n",
		`t.yaml:8:91: services[0].endpoints[0].check: check "nope" does not exist`},
	{"negative weight", svc + "  - {name: www.example.com., policy: weighted, endpoints: [{id: e, a: [192.0.2.1], weight: -5}]}\n",
		`t.yaml:8:92: services[0].endpoints[0].weight: -5 must not be negative`},
	{"weights total too large", svc + "  - {name: www.example.com., policy: weighted, endpoints: [{id: e, a: [192.0.2.1], weight: 2147483647}, {id: f, a: [192.0.2.2]}, {id: g, a: [192.0.2.3], weight: 5}]}\n",
		`t.yaml:8:105: services[0].endpoints[1].weight: 1 makes the service's weights total more than 2147483647`},
	{"weights total at the limit", svc + "  - {name: www.example.com., policy: weighted, endpoints: [{id: e, a: [192.0.2.1], weight: 2147483646}, {id: f, a: [192.0.2.2]}, {id: g, a: [192.0.2.3], weight: 0}]}\n", ""},
	{"bias out of range", svc + "  - {name: www.example.com., policy: geoproximity, endpoints: [{id: e, a: [192.0.2.1], location: {lat: 1, lon: 2}, bias: 100}, {id: f, a: [192.0.2.2], location: {lat: 1, lon: 2}, bias: -100}]}\n",
		`t.yaml:8:122: services[0].endpoints[0].bias: 100 must be between -99 and 99
t.yaml:8:186: services[0].endpoints[1].bias: -100 must be between -99 and 99`},
	{"two defaults", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], default: true}, {id: f, a: [192.0.2.2], default: true}]}\n",
		`t.yaml:8:54: services[0].endpoints: 2 endpoints are marked default; at most one may be`},
	{"bad when_all_down", svc + "  - {name: www.example.com., policy: failover, when_all_down: some, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:63: services[0].when_all_down: "some" is not all, none or an endpoint id of this service`},
	{"when_all_down an endpoint", svc + "  - {name: www.example.com., policy: failover, when_all_down: e, endpoints: [{id: e, a: [192.0.2.1]}]}\n", ""},

	// Services: placing clients.
	{"bad country codes", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], countries: [us, USA, US-, US-CAL1, GB-ENG]}]}\n",
		`t.yaml:8:91: services[0].endpoints[0].countries[0]: "us" is not an ISO 3166 code (US, or a subdivision like US-CA)
t.yaml:8:95: services[0].endpoints[0].countries[1]: "USA" is not an ISO 3166 code (US, or a subdivision like US-CA)
t.yaml:8:100: services[0].endpoints[0].countries[2]: "US-" is not an ISO 3166 code (US, or a subdivision like US-CA)
t.yaml:8:105: services[0].endpoints[0].countries[3]: "US-CAL1" is not an ISO 3166 code (US, or a subdivision like US-CA)`},
	{"bad continent", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], continents: [EU, Europe, eu]}]}\n",
		`t.yaml:8:96: services[0].endpoints[0].continents[1]: "Europe" is not one of AF AN AS EU NA OC SA
t.yaml:8:104: services[0].endpoints[0].continents[2]: "eu" is not one of AF AN AS EU NA OC SA`},
	{"bad CIDR", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], networks: [192.0.2.0, 192.0.2.0/33, \"2001:db8::/129\", nope]}]}\n",
		`t.yaml:8:90: services[0].endpoints[0].networks[0]: "192.0.2.0" is not a network in CIDR notation
t.yaml:8:101: services[0].endpoints[0].networks[1]: "192.0.2.0/33" is not a network in CIDR notation
t.yaml:8:115: services[0].endpoints[0].networks[2]: "2001:db8::/129" is not a network in CIDR notation
t.yaml:8:133: services[0].endpoints[0].networks[3]: "nope" is not a network in CIDR notation`},
	{"CIDR with host bits", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], networks: [192.0.2.1/24, \"2001:db8::1/64\"]}]}\n",
		`t.yaml:8:90: services[0].endpoints[0].networks[0]: 192.0.2.1/24 has host bits set; the network is 192.0.2.0/24
t.yaml:8:104: services[0].endpoints[0].networks[1]: 2001:db8::1/64 has host bits set; the network is 2001:db8::/64`},
	{"same network in two endpoints", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], networks: [198.51.100.0/24]}, {id: f, a: [192.0.2.2], networks: [198.51.100.0/24]}]}\n",
		`t.yaml:8:144: services[0].endpoints[1].networks[0]: network 198.51.100.0/24 is already pinned to endpoint "e"`},
	{"same network written as IPv4-mapped IPv6", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], networks: [198.51.100.0/24]}, {id: f, a: [192.0.2.2], networks: [\"::ffff:198.51.100.0/120\"]}]}\n",
		`t.yaml:8:144: services[0].endpoints[1].networks[0]: network 198.51.100.0/24 is already pinned to endpoint "e"`},
	{"overlapping networks in one endpoint", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], networks: [198.51.100.0/24, 198.51.100.128/25, \"2001:db8::/32\", \"2001:db8:1::/48\"]}]}\n",
		`t.yaml:8:107: services[0].endpoints[0].networks[1]: network 198.51.100.128/25 overlaps 198.51.100.0/24 of the same endpoint
t.yaml:8:143: services[0].endpoints[0].networks[3]: network 2001:db8:1::/48 overlaps 2001:db8::/32 of the same endpoint`},
	{"nested networks in two endpoints are allowed", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], networks: [198.51.100.0/24, \"2001:db8::/32\"]}, {id: f, a: [192.0.2.2], networks: [198.51.100.128/25, \"2001:db8:1::/48\"]}]}\n", ""},
	{"latency endpoint without location", svc + "  - {name: www.example.com., policy: latency, endpoints: [{id: e, a: [192.0.2.1], location: {lat: 1, lon: 2}}, {id: f, a: [192.0.2.2]}]}\n",
		`t.yaml:8:112: services[0].endpoints[1].location: the latency policy needs a location for every endpoint`},
	{"geoproximity endpoint without location", svc + "  - {name: www.example.com., policy: geoproximity, endpoints: [{id: e, a: [192.0.2.1]}]}\n",
		`t.yaml:8:64: services[0].endpoints[0].location: the geoproximity policy needs a location for every endpoint`},
	{"bad lat and lon", svc + "  - {name: www.example.com., policy: latency, endpoints: [{id: e, a: [192.0.2.1], location: {lat: 91, lon: 0}}, {id: f, a: [192.0.2.2], location: {lat: 0, lon: -180.5}}]}\n",
		`t.yaml:8:93: services[0].endpoints[0].location: lat must be within -90..90 and lon within -180..180
t.yaml:8:147: services[0].endpoints[1].location: lat must be within -90..90 and lon within -180..180`},
	{"geo endpoint with nothing to match", svc + "  - {name: www.example.com., policy: geo, endpoints: [{id: e, a: [192.0.2.1], countries: [US]}, {id: f, a: [192.0.2.2]}]}\n",
		`t.yaml:8:97: services[0].endpoints[1]: a geo endpoint needs countries, continents, networks or default: true`},

	// Checks.
	{"check name invalid", chk + "  - {name: \"web check\", type: external}\n  - {type: external}\n",
		`t.yaml:8:12: checks[0].name: "web check" is not a valid check name (letters, digits, '-', '_', '.'; at most 63)
t.yaml:9:5: checks[1].name: "" is not a valid check name (letters, digits, '-', '_', '.'; at most 63)`},
	{"check name too long", chk + "  - {name: " + strings.Repeat("c", 64) + ", type: external}\n",
		`t.yaml:8:12: checks[0].name: "` + strings.Repeat("c", 64) + `" is not a valid check name (letters, digits, '-', '_', '.'; at most 63)`},
	{"duplicate check", chk + "  - {name: web, type: external}\n  - {name: web, type: tcp, address: \"192.0.2.1:80\"}\n",
		`t.yaml:9:12: checks[1].name: check "web" is already defined`},
	{"check type missing", chk + "  - {name: web}\n",
		`t.yaml:8:5: checks[0].type: must be set (http, https, tcp, dns, calculated, external)`},
	{"check type unknown", chk + "  - {name: web, type: icmp}\n",
		`t.yaml:8:23: checks[0].type: "icmp" is not one of http, https, tcp, dns, calculated, external`},
	{"check type in capitals", chk + "  - {name: web, type: HTTP, url: \"http://192.0.2.1/\"}\n",
		`t.yaml:8:23: checks[0].type: "HTTP" is not one of http, https, tcp, dns, calculated, external`},
	{"http check without url", chk + "  - {name: web, type: http}\n",
		`t.yaml:8:5: checks[0].url: an http check needs a url`},
	{"http check with an https url", chk + "  - {name: web, type: http, url: \"https://192.0.2.1/\"}\n",
		`t.yaml:8:34: checks[0].url: "https://192.0.2.1/" does not match check type http (want an http:// URL)`},
	{"https check with an http url", chk + "  - {name: web, type: https, url: \"http://192.0.2.1/\"}\n",
		`t.yaml:8:35: checks[0].url: "http://192.0.2.1/" does not match check type https (want an https:// URL)`},
	{"http check with a relative url", chk + "  - {name: web, type: http, url: /healthz}\n  - {name: web2, type: http, url: 192.0.2.1/healthz}\n",
		`t.yaml:8:34: checks[0].url: "/healthz" is not an absolute URL
t.yaml:9:35: checks[1].url: "192.0.2.1/healthz" is not an absolute URL`},
	{"tcp check without address", chk + "  - {name: port, type: tcp}\n",
		`t.yaml:8:5: checks[0].address: a tcp check needs an address (host:port)`},
	{"tcp check with a bad address", chk + "  - {name: port, type: tcp, address: 192.0.2.1}\n  - {name: port2, type: tcp, address: \":443\"}\n  - {name: port3, type: tcp, address: \"[2001:db8::1]:443\"}\n",
		`t.yaml:8:38: checks[0].address: "192.0.2.1" is not a host:port address
t.yaml:9:39: checks[1].address: ":443" is not a host:port address`},
	{"dns check without query", chk + "  - {name: ns, type: dns, address: \"192.0.2.53:53\"}\n",
		`t.yaml:8:5: checks[0].query: is required`},
	{"dns check with a bad qtype", chk + "  - {name: ns, type: dns, address: \"192.0.2.53:53\", query: www.example.com., qtype: AX}\n",
		`t.yaml:8:85: checks[0].qtype: "AX" is not a record type`},
	{"calculated without children", chk + "  - {name: all, type: calculated}\n",
		`t.yaml:8:5: checks[0].children: a calculated check needs children
t.yaml:8:5: checks[0].min_healthy: 0 must be between 1 and the number of children (0)`},
	{"min_healthy out of range", chk + "  - {name: a, type: external}\n  - {name: all, type: calculated, children: [a], min_healthy: 2}\n",
		`t.yaml:9:63: checks[1].min_healthy: 2 must be between 1 and the number of children (1)`},
	{"unknown child", chk + "  - {name: all, type: calculated, children: [nope], min_healthy: 1}\n",
		`t.yaml:8:46: checks[0].children[0]: check "nope" does not exist`},
	{"cycle of calculated checks, reported once", chk + `  - {name: c, type: calculated, children: [a], min_healthy: 1}
  - {name: b, type: calculated, children: [c, x], min_healthy: 1}
  - {name: a, type: calculated, children: [b], min_healthy: 1}
  - {name: x, type: external}
`, `t.yaml:10:43: checks[2].children: calculated checks form a cycle: a -> b -> c -> a`},
	{"calculated check as its own child", chk + "  - {name: self, type: calculated, children: [self], min_healthy: 1}\n",
		`t.yaml:8:46: checks[0].children: calculated checks form a cycle: self -> self`},
	{"two cycles through one check", chk + `  - {name: a, type: calculated, children: [b, d], min_healthy: 1}
  - {name: b, type: calculated, children: [c], min_healthy: 1}
  - {name: c, type: calculated, children: [b], min_healthy: 1}
  - {name: d, type: calculated, children: [a], min_healthy: 1}
`, `t.yaml:8:43: checks[0].children: calculated checks form a cycle: a -> d -> a
t.yaml:9:43: checks[1].children: calculated checks form a cycle: b -> c -> b`},
	{"interval below 100ms", chk + "  - {name: e, type: external, interval: 50ms}\n",
		`t.yaml:8:41: checks[0].interval: 50ms is shorter than the minimum, 100ms`},
	{"negative interval is one fault", chk + "  - {name: e, type: external, interval: -5s}\n",
		`t.yaml:8:41: checks[0].interval: -5s is shorter than the minimum, 100ms`},
	{"timeout above interval", chk + "  - {name: e, type: external, interval: 1s, timeout: 1500ms}\n",
		`t.yaml:8:54: checks[0].timeout: 1.5s must be positive and at most the interval (1s)`},
	{"negative timeout", chk + "  - {name: e, type: external, timeout: -1s}\n",
		`t.yaml:8:40: checks[0].timeout: -1s must be positive and at most the interval (10s)`},
	{"rise and fall below 1", chk + "  - {name: e, type: external, rise: -1, fall: -2}\n",
		`t.yaml:8:37: checks[0].rise: must be at least 1
t.yaml:8:47: checks[0].fall: must be at least 1`},
	{"bad expect_status", chk + "  - {name: web, type: http, url: \"http://192.0.2.1/\", expect_status: [200, 99, 600]}\n",
		`t.yaml:8:76: checks[0].expect_status[1]: 99 is not an HTTP status
t.yaml:8:80: checks[0].expect_status[2]: 600 is not an HTTP status`},

	{"vantage per_region below 1", chk + "  - {name: web, type: http, url: \"http://192.0.2.1/\", vantage: {per_region: 0}}\n",
		`t.yaml:8:77: checks[0].vantage.per_region: check "web": 0 must be at least 1 (leave vantage out for every node to probe it)`},
	{"vantage without per_region", chk + "  - {name: web, type: tcp, address: \"192.0.2.1:80\", vantage: {}}\n",
		`t.yaml:8:62: checks[0].vantage.per_region: check "web": 0 must be at least 1 (leave vantage out for every node to probe it)`},
	{"vantage per_region not a whole number", chk + "  - {name: web, type: tcp, address: \"192.0.2.1:80\", vantage: {per_region: 1.5}}\n",
		`t.yaml:8:75: checks[0].vantage.per_region: must be a whole number, not 1.5`},
	{"vantage unknown key", chk + "  - {name: web, type: tcp, address: \"192.0.2.1:80\", vantage: {per_zone: 1}}\n",
		`t.yaml:8:62: checks[0].vantage.per_region: check "web": 0 must be at least 1 (leave vantage out for every node to probe it)
t.yaml:8:63: checks[0].vantage.per_zone: unknown field "per_zone"`},
	{"vantage on a check nobody probes", chk + "  - {name: pushed, type: external, vantage: {per_region: 2}}\n",
		`t.yaml:8:45: checks[0].vantage: check "pushed": external checks are not probed, so they have no vantage points`},
	{"vantage of one per region", chk + "  - {name: web, type: dns, address: \"192.0.2.1:53\", query: example.com., vantage: {per_region: 1}}\n", ""},

	// Regions.
	{"endpoint region", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, region: us-east, a: [192.0.2.1]}]}\n", ""},
	{"endpoint region not a name", svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: e, region: \"us east\", a: [192.0.2.1]}]}\n",
		`t.yaml:8:76: services[0].endpoints[0].region: "us east" is not a valid region name (letters, digits, '-', '_', '.'; at most 63)`},

	// Settings.
	{"health_quorum above 1", head + "settings: {health_quorum: 1.5}\n",
		`t.yaml:7:27: settings.health_quorum: 1.5 must be greater than 0 and at most 1`},
	{"health_quorum negative", head + "settings: {health_quorum: -0.1}\n",
		`t.yaml:7:27: settings.health_quorum: -0.1 must be greater than 0 and at most 1`},
	{"health_quorum of 1", head + "settings: {health_quorum: 1}\n", ""},
}

func TestParseTrafficFaults(t *testing.T) {
	for _, tc := range trafficFaultCases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ParseTraffic("t.yaml", []byte(tc.doc), "")
			if got := errText(err); got != tc.want {
				t.Errorf("faults differ\n got:\n%s\nwant:\n%s", got, tc.want)
			}
			if err == nil {
				if tr == nil {
					t.Fatal("no error and no document")
				}
				return
			}
			if tr != nil {
				t.Error("a document came back with its faults; it must be rejected whole")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Faults) == 0 {
				t.Fatalf("error %T is not a *ValidationError with faults", err)
			}
		})
	}
}

// TestParseTrafficManyFaults checks that one document reports every fault,
// not the first, in the order of its lines.
func TestParseTrafficManyFaults(t *testing.T) {
	doc := `zones:
  - name: example.com.
    soa: {mname: ns1.example.com., rname: hostmaster@example.com.}
    ns: [ns1.example.com.]
    colour: red
    records:
      - {name: www, type: CNAME, data: [a.example.net., b.example.net.]}
      - {name: www.example.net., type: A, data: [192.0.2.1]}
      - {name: mail, type: A, data: [192.0.2]}
checks:
  - {name: web, type: http, url: "https://192.0.2.1/", interval: 10ms}
  - {name: loop, type: calculated, children: [loop], min_healthy: 1}
services:
  - name: www.example.org.
    policy: fastest
    endpoints:
      - {id: e, check: nope}
settings: {health_quorum: 2}
`
	want := []string{
		`t.yaml:3:43: zones[0].soa.rname: "hostmaster@example.com." is a mailbox written as a domain name: hostmaster.example.com., not hostmaster@example.com`,
		`t.yaml:4:10: zones[0].ns[0]: name server ns1.example.com. is inside the zone but has no A or AAAA record (glue)`,
		`t.yaml:5:5: zones[0].colour: unknown field "colour"`,
		`t.yaml:7:40: zones[0].records[0].data: a CNAME has exactly one target`,
		`t.yaml:8:16: zones[0].records[1].name: www.example.net. is outside zone example.com.`,
		`t.yaml:9:37: zones[0].records[2].data: data[0] "192.0.2" is not valid A data: bad A A: "192.0.2"`,
		`t.yaml:11:34: checks[0].url: "https://192.0.2.1/" does not match check type http (want an http:// URL)`,
		`t.yaml:11:66: checks[0].interval: 10ms is shorter than the minimum, 100ms`,
		`t.yaml:12:46: checks[1].children: calculated checks form a cycle: loop -> loop`,
		`t.yaml:14:11: services[0].name: www.example.org. is outside every zone of this document`,
		`t.yaml:15:13: services[0].policy: "fastest" is not one of failover, geo, latency, geoproximity, weighted, multivalue`,
		`t.yaml:17:9: services[0].endpoints[0]: endpoint has no address: give a, aaaa, cname or target`,
		`t.yaml:17:24: services[0].endpoints[0].check: check "nope" does not exist`,
		`t.yaml:18:27: settings.health_quorum: 2 must be greater than 0 and at most 1`,
	}
	_, err := ParseTraffic("t.yaml", []byte(doc), "")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a *ValidationError", err)
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("faults differ\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(ve.Faults) != len(want) {
		t.Errorf("%d faults, want %d", len(ve.Faults), len(want))
	}
	for i := 1; i < len(ve.Faults); i++ {
		a, b := ve.Faults[i-1], ve.Faults[i]
		if a.Line > b.Line || (a.Line == b.Line && a.Column > b.Column) {
			t.Errorf("fault %d (%d:%d) comes after fault %d (%d:%d)", i-1, a.Line, a.Column, i, b.Line, b.Column)
		}
	}
}

// TestCalculatedChecksManyPaths guards against a cycle search that follows
// every path: 80 checks each naming the next twice have 2^80 paths.
func TestCalculatedChecksManyPaths(t *testing.T) {
	var b strings.Builder
	b.WriteString(chk)
	const n = 80
	for i := range n {
		fmt.Fprintf(&b, "  - {name: c%02d, type: calculated, children: [c%02d, c%02d], min_healthy: 1}\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "  - {name: c%02d, type: external}\n", n)
	if _, err := ParseTraffic("t.yaml", []byte(b.String()), ""); err != nil {
		t.Fatalf("a deep chain without a cycle: %v", err)
	}
	// Closing the chain into a loop gives exactly one fault.
	doc := strings.Replace(b.String(), fmt.Sprintf("{name: c%02d, type: external}", n),
		fmt.Sprintf("{name: c%02d, type: calculated, children: [c00], min_healthy: 1}", n), 1)
	_, err := ParseTraffic("t.yaml", []byte(doc), "")
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Faults) != 1 || !strings.Contains(ve.Faults[0].Message, "form a cycle: c00 -> c01") {
		t.Errorf("a chain closed into a loop: got %v, want one cycle fault from c00", err)
	}
}

// TestTrafficValidate checks a document built in code: defaults are filled
// and faults name fields but carry no place.
func TestTrafficValidate(t *testing.T) {
	tr := &Traffic{
		Zones: []Zone{{Name: "Example.com", SOA: SOA{MName: "ns1.example.net.", RName: "h.example.com."}, NS: []string{"NS1.example.net."}}},
		Services: []Service{{Name: "www.example.com", Policy: PolicyWeighted, Endpoints: []Endpoint{
			{ID: "a", A: []string{"192.0.2.1"}},
		}}},
	}
	if err := tr.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	z, s := tr.Zones[0], tr.Services[0]
	if z.Name != "example.com." || z.NS[0] != "ns1.example.net." || *z.TTL != DefaultZoneTTL || z.SOA.Minimum != DefaultSOAMinimum {
		t.Errorf("zone not normalized: %+v", z)
	}
	if s.Name != "www.example.com." || *s.TTL != DefaultServiceTTL || s.MaxAnswers != 1 || s.WhenAllDown != AllDownAll {
		t.Errorf("service not normalized: %+v", s)
	}
	if s.Endpoints[0].EffectiveWeight() != 1 {
		t.Errorf("default weight %d, want 1", s.Endpoints[0].EffectiveWeight())
	}
	if tr.Settings.HealthQuorum != DefaultHealthQuorum {
		t.Errorf("health_quorum %v, want %v", tr.Settings.HealthQuorum, DefaultHealthQuorum)
	}

	bad := &Traffic{Zones: []Zone{{Name: "example.com."}}}
	want := "zones[0].soa.mname: is required\nzones[0].soa.rname: is required\nzones[0].ns: needs at least one name server"
	if got := errText(bad.Validate()); got != want {
		t.Errorf("Validate faults:\n got: %s\nwant: %s", got, want)
	}
}

func TestEffectiveWeight(t *testing.T) {
	for _, tc := range []struct {
		w    *int
		want int
	}{{nil, 1}, {new(0), 0}, {new(7), 7}} {
		if got := (&Endpoint{Weight: tc.w}).EffectiveWeight(); got != tc.want {
			t.Errorf("EffectiveWeight(%v) = %d, want %d", tc.w, got, tc.want)
		}
	}
}

// TestRegionName: an endpoint without a region is a region of its own,
// and the region survives the stored form.
func TestRegionName(t *testing.T) {
	doc := svc + "  - {name: www.example.com., policy: failover, endpoints: [{id: a, region: us-east, a: [192.0.2.1]}, {id: b, a: [192.0.2.2]}]}\n"
	tr, err := ParseTraffic("t.yaml", []byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodeStored(tr)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := ParseStored("stored", b)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Traffic{tr, stored} {
		eps := d.Services[0].Endpoints
		if got := []string{eps[0].RegionName(), eps[1].RegionName(), eps[1].Region}; got[0] != "us-east" || got[1] != "b" || got[2] != "" {
			t.Errorf("regions %q, want us-east, b (by its id) and none written", got)
		}
	}
}

func TestZoneOf(t *testing.T) {
	zones := []string{"example.com.", "sub.example.com.", "example.net."}
	for _, tc := range []struct{ name, want string }{
		{"www.example.com.", "example.com."},
		{"example.com.", "example.com."},
		{"a.sub.example.com.", "sub.example.com."},
		{"sub.example.com.", "sub.example.com."},
		{"www.example.org.", ""},
		{"notexample.com.", ""},
	} {
		if got := ZoneOf(tc.name, zones); got != tc.want {
			t.Errorf("ZoneOf(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
