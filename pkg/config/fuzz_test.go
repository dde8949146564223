package config

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzParseTraffic feeds ParseTraffic anything, seeded with the fixtures,
// every fault case and the bombs. It must not panic; it returns a document
// or a *ValidationError with faults, never both; the stored form of a
// document it returns is a fixed point: it parses back to a document with
// the same stored form, as every node reads it (an empty list may come
// back as none, which stores the same). A bomb that slips past the bounds
// shows as a run that takes seconds or gigabytes, which the fuzzer reports.
//
//	go test -run=^$ -fuzz=FuzzParseTraffic -fuzztime=60s ./pkg/config
func FuzzParseTraffic(f *testing.F) {
	for _, name := range []string{"testdata/traffic_full.yaml", "testdata/traffic_full.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, tc := range trafficFaultCases {
		f.Add([]byte(tc.doc))
	}
	for _, doc := range []string{mergeBomb(3), mergeBomb(9), aliasBomb(4), head + "services:\n  - &x {<<: *x}\n", manyKeys(300)} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := ParseTraffic("f.yaml", src, "")
		if err != nil {
			var ve *ValidationError
			if doc != nil || !errors.As(err, &ve) || len(ve.Faults) == 0 {
				t.Fatalf("doc %v, err %T %v; want no document and a *ValidationError with faults", doc != nil, err, err)
			}
			return
		}
		b, err := EncodeStored(doc)
		if err != nil {
			t.Fatalf("EncodeStored of a parsed document: %v", err)
		}
		again, err := ParseTraffic("stored", b, "")
		if err != nil {
			t.Fatalf("the stored form of a valid document does not parse: %v\n%s", err, b)
		}
		if b2, err := EncodeStored(again); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("the stored form parses to another document (%v):\n%s\n%s", err, b, b2)
		}
	})
}
