package config

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// mergeBomb is a service whose endpoint at each level merges ten copies of
// the one before: levels 9 took 17 s before merges were bounded, 12 hours.
// The first endpoint is on line 11 of the document.
// manyKeys is a document whose settings mapping has n keys.
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString(head + "settings: {")
	for i := range n {
		fmt.Fprintf(&b, "k%d: 1, ", i)
	}
	b.WriteString("}\n")
	return b.String()
}

func mergeBomb(levels int) string {
	var b strings.Builder
	b.WriteString(svc + "  - name: www.example.com.\n    policy: failover\n    endpoints:\n")
	b.WriteString("      - &e0 {id: a, a: [192.0.2.1]}\n")
	for l := 1; l <= levels; l++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*e%d, ", l-1), 10), ", ")
		fmt.Fprintf(&b, "      - &e%d {<<: [%s]}\n", l, refs)
	}
	return b.String()
}

// aliasBomb is the "billion laughs" in a record's data: each list holds
// ten aliases of the one before, so the last stands for 10^levels strings.
// The first list is on line 10.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString(head + "      - name: lol\n        type: TXT\n        data:\n")
	lol := `"` + strings.Repeat("lol", 150) + `", `
	fmt.Fprintf(&b, "          - &l0 [%s]\n", strings.TrimSuffix(strings.Repeat(lol, 10), ", "))
	for l := 1; l <= levels; l++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", l-1), 10), ", ")
		fmt.Fprintf(&b, "          - &l%d [%s]\n", l, refs)
	}
	return b.String()
}

// manyRecords is a valid document with n records.
func manyRecords(n int) string {
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		fmt.Fprintf(&b, "      - {name: h%d, type: A, data: [192.0.2.1]}\n", i)
	}
	return b.String()
}

// allocated is the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestParseTrafficBombs checks that documents built to make the parser
// expand aliases and merge keys without end, or to nest without end, are
// refused with one fault at the place, at a cost that stays proportional
// to their size. Before the bounds, the merge bombs ran for hours and the
// alias bomb took 1.2 GB; the merge cycle overflowed the stack, which
// kills the process.
func TestParseTrafficBombs(t *testing.T) {
	const limit = 50 << 20
	tests := []struct {
		name, doc, want string
	}{
		{"merge bomb, 9 levels", mergeBomb(9),
			`t.yaml:15:24: services[0].endpoints[4].<<: aliases expand the document past 10916 values, the most a document of 916 bytes may stand for; write out fewer values through anchors`},
		{"merge bomb, 12 levels", mergeBomb(12),
			`t.yaml:15:24: services[0].endpoints[4].<<: aliases expand the document past 11146 values, the most a document of 1146 bytes may stand for; write out fewer values through anchors`},
		{"merge chain, 4 levels", svc + "  - name: www.example.com.\n    policy: failover\n    endpoints:\n" +
			"      - &e0 {id: a, a: [192.0.2.1]}\n      - &e1 {<<: *e0}\n      - &e2 {<<: *e1}\n      - &e3 {<<: *e2}\n      - {<<: *e3}\n",
			`t.yaml:15:14: services[0].endpoints[4]: merge keys (<<) merge mappings that merge others more than 3 deep`},
		{"billion laughs", aliasBomb(9),
			`t.yaml:14:23: zones[0].records[1].data[4]: aliases expand the document past 15396 values, the most a document of 5396 bytes may stand for; write out fewer values through anchors`},
		{"merge cycle", head + "services:\n  - &x {<<: *x}\n",
			`t.yaml:8:13: services[0].<<: alias *x is inside the value it names, which would repeat without end`},
		{"alias cycle in a list", "zones: &z [*z]\n",
			`t.yaml:1:12: zones[0]: alias *z is inside the value it names, which would repeat without end`},
		{"too many aliases", head + "      - {name: &n www, type: A, data: [" + strings.TrimSuffix(strings.Repeat("*n, ", 300), ", ") + "]}\n",
			`t.yaml:7:1064: zones[0].records[1].data[256]: more than 256 aliases (*name) in one document; write the values out instead`},
		// yaml compares each key of a mapping with every other: minutes.
		{"50,000 keys in one mapping", manyKeys(50_000),
			`t.yaml:7:2206: settings: more than 256 keys in one mapping`},
		{"10,000 nested lists", "zones: " + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + "\n",
			`t.yaml:1:72: zones[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: values are nested more than 64 deep`},
		{"10,001 nested lists", "zones: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n",
			`t.yaml: invalid YAML: exceeded max depth of 10000`},
		{"10,000 nested mappings", "zones: " + strings.Repeat("{a: ", 9999) + strings.Repeat("}", 9999) + "\n",
			`t.yaml:1:261: zones.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a: values are nested more than 64 deep`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = ParseTraffic("t.yaml", []byte(tc.doc), "") })
			if got := errText(err); got != tc.want {
				t.Errorf("faults differ\n got: %s\nwant: %s", got, tc.want)
			}
			t.Logf("%d bytes: %d KB allocated", len(tc.doc), n>>10)
			if n > limit {
				t.Errorf("refusing a %d-byte document allocated %d MB, more than %d MB", len(tc.doc), n>>20, limit>>20)
			}
		})
	}
}

// TestParseTrafficAnchorsWithinBounds checks that anchors and merge keys
// used as people use them (shared settings, a few levels) still decode,
// into the same document as the values written out.
func TestParseTrafficAnchorsWithinBounds(t *testing.T) {
	doc := svc + `  - name: www.example.com.
    policy: failover
    endpoints:
      - &base {id: a, priority: 1, a: &addrs [192.0.2.1, 192.0.2.2]}
      - &second {<<: *base, id: b, priority: 2}
      - &third {<<: [*second], id: c}
      - {<<: *third, id: d, a: *addrs}
`
	tr, err := ParseTraffic("t.yaml", []byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	eps := tr.Services[0].Endpoints
	var got []string
	for _, e := range eps {
		got = append(got, fmt.Sprintf("%s/%d/%s", e.ID, e.Priority, strings.Join(e.A, ",")))
	}
	want := "a/1/192.0.2.1,192.0.2.2 b/2/192.0.2.1,192.0.2.2 c/2/192.0.2.1,192.0.2.2 d/2/192.0.2.1,192.0.2.2"
	if strings.Join(got, " ") != want {
		t.Errorf("endpoints %v, want %s", got, want)
	}
}

// TestParseTrafficLargeCost checks that large documents that are harmless
// (many records) or wrong everywhere (a fault on every record) cost in
// proportion to their size: placing each fault used to walk the whole
// document again.
func TestParseTrafficLargeCost(t *testing.T) {
	const records = 20_000
	valid := manyRecords(records)
	wrong := strings.ReplaceAll(valid, "type: A,", "type: A, ttl: x,")
	unknown := strings.ReplaceAll(valid, "type: A,", "type: A, colour: red,")

	for _, tc := range []struct {
		name   string
		doc    string
		faults int
	}{
		{"valid", valid, 0},
		// head holds one record more.
		{"a type error on every record", wrong, records + 1},
		{"an unknown key on every record", unknown, records + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = ParseTraffic("t.yaml", []byte(tc.doc), "") })
			faults := 0
			if err != nil {
				faults = strings.Count(err.Error(), "\n") + 1
			}
			if faults != tc.faults {
				t.Errorf("%d faults, want %d; the first: %.200s", faults, tc.faults, errText(err))
			}
			t.Logf("%d bytes: %d KB allocated", len(tc.doc), n>>10)
			// What the parser keeps per byte of source, with room.
			if limit := uint64(400 * len(tc.doc)); n > limit {
				t.Errorf("a %d-byte document allocated %d MB, more than %d MB", len(tc.doc), n>>20, limit>>20)
			}
		})
	}
}
