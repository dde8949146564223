package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxDocumentBytes is the largest traffic document the cluster can store:
// 1,500,000 bytes of its stored form (EncodeStored). The admin API takes
// no larger a body for one either. etcd refuses a request over 1.5 MiB
// (1,572,864 bytes: its --max-request-bytes default, which the embedded
// store keeps), and the write carries the key and a transaction besides
// the document, so the ceiling leaves 72,864 bytes for them.
const MaxDocumentBytes = 1_500_000

// DocumentTooLargeError is a traffic document whose stored form is
// larger than MaxDocumentBytes.
type DocumentTooLargeError struct {
	// Size is the stored form's size in bytes.
	Size int
}

// Error says the size, the limit and why there is one.
func (e *DocumentTooLargeError) Error() string {
	return fmt.Sprintf("the document is %d bytes as stored (JSON, zone files merged, defaults filled in), over the limit of %d bytes: the cluster store (etcd) refuses a write over 1.5 MiB", e.Size, MaxDocumentBytes)
}

// EncodeStored returns the form in which the cluster stores and shares t:
// compact JSON of the document as ParseTraffic returned it, which
// ParseTraffic reads back. A form over MaxDocumentBytes is a
// *DocumentTooLargeError, so the API can refuse it before a dry run says
// it is valid rather than fail when it is written.
func EncodeStored(t *Traffic) ([]byte, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encoding the traffic document: %w", err)
	}
	if len(b) > MaxDocumentBytes {
		return nil, &DocumentTooLargeError{Size: len(b)}
	}
	return b, nil
}

// ParseStored reads the stored form of a traffic document (EncodeStored's
// JSON) as ParseTraffic would, about four times faster: every node reads
// the document again at each apply, in the seconds in which it starts the
// document's checks. It decodes with encoding/json and validates; a form
// that does not decode that way (a syntax error, an unknown field, a zone
// file to merge) goes through ParseTraffic, whose faults say where.
//
// encoding/json matches keys without regard to case and keeps the last
// of duplicate keys, where ParseTraffic refuses both; EncodeStored writes
// neither, so only a document put into the store by hand can tell.
func ParseStored(file string, src []byte) (*Traffic, error) {
	if t, ok := decodeStoredJSON(src); ok {
		if err := t.Validate(); err != nil {
			// Validate's faults carry no line: ParseTraffic's do.
			return ParseTraffic(file, src, "")
		}
		return t, nil
	}
	return ParseTraffic(file, src, "")
}

// decodeStoredJSON decodes one JSON object of known fields and nothing
// after it, or reports false.
func decodeStoredJSON(src []byte) (*Traffic, bool) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	var t Traffic
	if err := dec.Decode(&t); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	for _, z := range t.Zones {
		if z.ZoneFile != "" {
			return nil, false
		}
	}
	return &t, true
}

// SameStored reports whether a and b are the same document as the store
// holds them (their stored form byte for byte): applying one over the
// other would change nothing but the revision.
func SameStored(a, b *Traffic) bool {
	if a == nil || b == nil {
		return false
	}
	ea, err := EncodeStored(a)
	if err != nil {
		return false
	}
	eb, err := EncodeStored(b)
	return err == nil && bytes.Equal(ea, eb)
}

// ParseStoredRecords is ParseStored for a document whose zones' records
// are kept apart from it (a node's copy of what it serves, where a zone
// may hold a million): records, by zone name as the document writes it,
// are added to each zone before the whole is validated.
func ParseStoredRecords(file string, src []byte, records map[string][]Record) (*Traffic, error) {
	t, ok := decodeStoredJSON(src)
	if !ok {
		var err error
		if t, err = ParseTraffic(file, src, ""); err != nil {
			return nil, err
		}
	}
	for i := range t.Zones {
		t.Zones[i].Records = append(t.Zones[i].Records, records[t.Zones[i].Name]...)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}
