// Package sizeddoc builds valid traffic documents of a chosen stored size,
// for tests of the document size ceiling (config.MaxDocumentBytes) in the
// API, the CLI and the cluster store.
package sizeddoc

import (
	"encoding/json"
	"fmt"

	"github.com/gtmd/gtmd/pkg/config"
)

// Doc is a document's source (JSON, as sent to the API or written to a
// file) and its stored form.
type Doc struct {
	Source, Stored []byte
}

// Around returns two documents: the largest whose stored form is at most
// limit bytes, and the smallest whose stored form is over it. They differ
// by one A record. Their record names are relative, so each source is
// about a fifth smaller than its stored form, where names are fully
// qualified: the ceiling is on what is stored, not on what is sent.
func Around(limit int) (under, over Doc, err error) {
	size := func(n int) (int, error) {
		d, err := Document(n)
		return len(d.Stored), err
	}
	one, err := size(1)
	if err != nil {
		return Doc{}, Doc{}, err
	}
	// Every record has the same length, and each after the first adds a
	// comma, so the size grows by the same step from the second on.
	two, err := size(2)
	if err != nil {
		return Doc{}, Doc{}, err
	}
	step := two - one
	if limit < one {
		return Doc{}, Doc{}, fmt.Errorf("a document with one record is %d bytes stored, over %d", one, limit)
	}
	n := 1 + (limit-one)/step
	if under, err = Document(n); err != nil {
		return Doc{}, Doc{}, err
	}
	if over, err = Document(n + 1); err != nil {
		return Doc{}, Doc{}, err
	}
	if len(under.Stored) > limit || len(over.Stored) <= limit {
		return Doc{}, Doc{}, fmt.Errorf("documents of %d and %d bytes stored do not straddle %d", len(under.Stored), len(over.Stored), limit)
	}
	return under, over, nil
}

// Document returns a zone with n A records besides its name server's; its
// stored form is the compact JSON of what ParseTraffic returns, whatever
// its size.
func Document(n int) (Doc, error) {
	z := config.Zone{
		Name: "example.com.",
		SOA:  config.SOA{MName: "ns1.example.com.", RName: "hostmaster.example.com."},
		NS:   []string{"ns1.example.com."},
		Records: []config.Record{
			{Name: "ns1", Type: "A", Data: []string{"192.0.2.53"}},
		},
	}
	for i := range n {
		z.Records = append(z.Records, config.Record{Name: fmt.Sprintf("h%07d", i), Type: "A", Data: []string{"192.0.2.1"}})
	}
	src, err := json.Marshal(config.Traffic{Zones: []config.Zone{z}})
	if err != nil {
		return Doc{}, err
	}
	t, err := config.ParseTraffic("sized document", src, "")
	if err != nil {
		return Doc{}, err
	}
	stored, err := json.Marshal(t)
	return Doc{Source: src, Stored: stored}, err
}
