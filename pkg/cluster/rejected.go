package cluster

import (
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/gtmd/gtmd/pkg/config"
)

// RejectedDocumentError is a stored traffic document that this node read
// and refused (invalid, or past the parsing limits). Anyone who can write
// to etcd can store one; every node refuses it the same way and goes on
// serving the document it had, until a valid one is stored.
type RejectedDocumentError struct {
	// Key is the etcd key and Revision the revision that stored the
	// refused value.
	Key      string
	Revision int64
	// Err says why.
	Err error
}

// Error names the key and the revision, so an operator can find the write.
//
// The error does not unwrap to Err: Err's faults are the stored
// document's, and the API must not answer them as faults of the caller's
// request (400) when the caller only read.
func (e *RejectedDocumentError) Error() string {
	return fmt.Sprintf("the traffic document stored at %s (revision %d) is refused; the previous one is still served: %v", e.Key, e.Revision, e.Err)
}

// parseStored reads the traffic document of a stored key, the one place
// that turns a refusal into a *RejectedDocumentError, so the watch and
// Traffic refuse a document alike. The error is typed so the watch can
// log the parser's own words; it is nil when the document is read.
func parseStored(kv *mvccpb.KeyValue) (*config.Traffic, *RejectedDocumentError) {
	t, err := config.ParseStored(string(kv.Key), kv.Value)
	if err != nil {
		return nil, &RejectedDocumentError{Key: string(kv.Key), Revision: kv.ModRevision, Err: err}
	}
	return t, nil
}
