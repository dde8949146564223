package node

import (
	"context"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// storedIs reports whether doc is the document the store holds, compared
// in the stored form, and that document's revision. Applying it again
// would only raise the revision, and with it every zone's SOA serial, so
// that secondaries and caches would see a change where there is none. A
// store that cannot be read, or holds no document or a refused one, is
// "not the same": the apply then goes on and reports what fails.
func storedIs(ctx context.Context, s *cluster.Store, doc *config.Traffic) (int64, bool) {
	stored, rev, err := s.Traffic(ctx)
	if err != nil {
		return 0, false
	}
	return rev, cluster.SameDocument(doc, stored)
}
