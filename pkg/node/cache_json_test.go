package node

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// recordSamples are records whose data need escapes, or none.
func recordSamples() []config.Record {
	ttl := uint32(300)
	return []config.Record{
		{Name: "www", Type: "A", Data: []string{"192.0.2.1", "192.0.2.2"}},
		{Name: "www.gtm.test.", Type: "AAAA", TTL: &ttl, Data: []string{"2001:db8::1"}},
		{Name: "t", Type: "TXT", Data: []string{`"say \"hi\"" "back\\slash"`, "\x00\x1f\x7f\xff", "é <&>"}},
		{Name: "empty", Type: "TXT", Data: []string{}},
		{Name: "none", Type: "TYPE65280"},
	}
}

// keptRecordsSeeds are arrays of records as the copy holds them and as
// it might, each read by the scan or left to encoding/json.
func keptRecordsSeeds() []string {
	var written []byte
	written = append(written, '[')
	for i, r := range recordSamples() {
		if i > 0 {
			written = append(written, ',')
		}
		written = appendRRsetJSON(written, r.Name, r.Type, r.TTL, r.Data)
	}
	written = append(written, ']')
	return []string{
		string(written),
		`[]`, ` [ ] `, `null`, `[{}]`,
		`[{"name":"a","type":"A","ttl":0,"data":["192.0.2.1"]}]`,
		"[ {\n\t\"data\" : [ \"x\" ] , \"ttl\" : 4294967295 , \"type\" : \"MX\" , \"name\" : \"m\" } ]\r\n",
		`[{"name":"a","type":"A","ttl":4294967296,"data":[]}]`,
		`[{"name":"a","type":"A","ttl":-1,"data":[]}]`,
		`[{"name":"a","type":"A","ttl":1.5,"data":[]}]`,
		`[{"name":"a","type":"A","ttl":1e2,"data":[]}]`,
		`[{"name":"a","type":"A","ttl":01,"data":[]}]`,
		`[{"name":"a","type":"A","ttl":null,"data":null}]`,
		`[{"Name":"a","TYPE":"A"}]`,
		`[{"n\u0061me":"a","type":"\u0041"}]`,
		`[{"name":"a","name":"b","data":["x"],"data":["y","z"]}]`,
		`[{"name":"a","extra":{"x":[1,2]}}]`,
		`[{"name":null,"type":"A"}]`,
		`[{"name":"\ud800","type":"A"}]`,
		"[{\"name\":\"\xff\xfe\",\"type\":\"A\"}]",
		`[{"name":"a\x","type":"A"}]`,
		`[{"name":"a"},]`,
		`[{"name":"a"}`,
		`[{"name":"a"}] x`,
		`[{"name":"a" "type":"A"}]`,
		`[1]`, `{}`, `"x"`, ``,
	}
}

// readBoth reads b as the copy reads records, and with encoding/json
// alone.
func readBoth(b []byte) (got, want []config.Record, gotErr, wantErr error) {
	var k keptRecords
	gotErr = json.Unmarshal(b, &k)
	wantErr = json.Unmarshal(b, &want)
	return k, want, gotErr, wantErr
}

// TestKeptRecordsRead: records in the copy, whether the scan reads them
// or encoding/json does, read as encoding/json reads them; those the
// copy writes are read by the scan.
func TestKeptRecordsRead(t *testing.T) {
	for _, seed := range keptRecordsSeeds() {
		got, want, gotErr, wantErr := readBoth([]byte(seed))
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: read %#v (%v), encoding/json reads %#v (%v)", seed, got, gotErr, want, wantErr)
		}
	}
	written := keptRecordsSeeds()[0]
	if recs, ok := scanRecords([]byte(written)); !ok || len(recs) != 5 {
		t.Errorf("the records the copy writes are not scanned: %d, %v", len(recs), ok)
	}
	big := []byte("[")
	for i := range 1000 {
		if i > 0 {
			big = append(big, ',')
		}
		ttl := uint32(i)
		big = appendRRsetJSON(big, fmt.Sprintf("h%d", i), "A", &ttl, []string{"192.0.2.1"})
	}
	big = append(big, ']')
	if recs, ok := scanRecords(big); !ok || len(recs) != 1000 || *recs[999].TTL != 999 {
		t.Errorf("1,000 records scanned: %d, %v", len(recs), ok)
	}
}

// FuzzKeptRecords: any input reads as encoding/json reads it.
func FuzzKeptRecords(f *testing.F) {
	for _, seed := range keptRecordsSeeds() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want, gotErr, wantErr := readBoth(b)
		if (gotErr == nil) != (wantErr == nil) || (gotErr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q: read %#v (%v), encoding/json reads %#v (%v)", b, got, gotErr, want, wantErr)
		}
	})
}

// FuzzKeptZone: a zone of the copy, its records member written any
// number of times, reads as encoding/json reads it.
func FuzzKeptZone(f *testing.F) {
	for _, seed := range keptRecordsSeeds() {
		f.Add([]byte(`{"zone":"a.","records":` + seed + `}`))
		f.Add([]byte(`{"zone":"a.","records":[{"name":"x","type":"A","ttl":5,"data":["192.0.2.1"]}],"records":` + seed + `}`))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got keptZone
		// keptZone's own fields, its records as encoding/json reads them.
		var want struct {
			Zone     string          `json:"zone"`
			Document *int            `json:"document,omitempty"`
			Records  []config.Record `json:"records"`
		}
		gotErr, wantErr := json.Unmarshal(b, &got), json.Unmarshal(b, &want)
		if (gotErr == nil) != (wantErr == nil) || (gotErr == nil && !reflect.DeepEqual([]config.Record(got.Records), want.Records)) {
			t.Errorf("%q: read %#v (%v), encoding/json reads %#v (%v)", b, got.Records, gotErr, want.Records, wantErr)
		}
	})
}
