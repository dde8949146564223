package config

import (
	"encoding/json"
	"fmt"
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
