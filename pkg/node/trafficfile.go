package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// trafficFileCheckTimeout bounds the question to the store when
// traffic_file cannot be applied.
const trafficFileCheckTimeout = 5 * time.Second

// checkTrafficFile loads traffic_file at start and returns it when it is
// there to bootstrap the store with (nil otherwise), read once. The file only fills an empty store:
// when it cannot be applied (missing, misspelled, invalid, or its stored
// form over config.MaxDocumentBytes, which the store would refuse at every
// try), that is a start-up error if the store holds no document, since the
// node would answer REFUSED to every query; if the store holds one (even
// one the node refuses), or cannot say, it is a warning and the node
// serves what the store delivers.
func checkTrafficFile(ctx context.Context, s *cluster.Store, path string, log *slog.Logger) (*config.Traffic, error) {
	t, applyErr := loadForStore(path)
	if applyErr == nil {
		return t, nil
	}
	ctx, cancel := context.WithTimeout(ctx, trafficFileCheckTimeout)
	defer cancel()
	rev, err := s.TrafficRevision(ctx)
	switch {
	case err != nil:
		log.Warn("traffic_file cannot be applied, and the store cannot tell whether it holds a document; answers follow once it delivers one", "file", path, "err", applyErr, "store_err", err)
	case rev == 0:
		return nil, fmt.Errorf("traffic_file %s cannot be applied and the store holds no traffic document to serve instead: %w", path, applyErr)
	default:
		log.Warn("traffic_file cannot be applied; serving the document the store holds", "file", path, "revision", rev, "err", applyErr)
	}
	return nil, nil
}

// loadForStore loads the document at path and checks that the store
// could hold it.
func loadForStore(path string) (*config.Traffic, error) {
	t, err := config.LoadTraffic(path)
	if err != nil {
		return nil, err
	}
	if _, err := config.EncodeStored(t); err != nil {
		return nil, err
	}
	return t, nil
}

// bootstrapTraffic applies t, the node file's traffic_file at path, when
// the store holds no document, retrying while the store is away, and
// gives up once some document is stored.
func (n *Node) bootstrapTraffic(ctx context.Context, path string, t *config.Traffic) {
	var lastErr string
	for {
		if st := n.store.State(); st != nil && st.Traffic != nil {
			n.noteTrafficFile(path, t, st)
			return
		}
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		// Keys first, so that the document's first answers are signed.
		err := n.makeKeysFor(actx, n.store, t)
		var rev int64
		if err == nil {
			rev, err = n.store.ApplyTraffic(actx, t, cluster.NoDocument)
		}
		cancel()
		var mismatch *cluster.RevisionMismatchError
		switch {
		case err == nil:
			n.log.Info("traffic_file applied to the empty store", "file", path, "revision", rev)
			return
		case errors.As(err, &mismatch):
			// The store holds one already; the watch brings it, and the
			// loop's first check compares it with the file.
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		case ctx.Err() != nil:
			return
		}
		// Said once per kind of failure, not every second of an outage.
		if err.Error() != lastErr {
			lastErr = err.Error()
			n.log.Warn("traffic_file not applied yet; trying again", "file", path, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// noteTrafficFile says, when the store's document is not traffic_file's,
// that the store's is served and how to serve the file: an edited file is
// otherwise ignored at a restart without a word. /readyz carries the note
// until another document is served.
func (n *Node) noteTrafficFile(path string, file *config.Traffic, st *cluster.State) {
	if cluster.SameDocument(file, st.Document()) {
		return
	}
	note := fmt.Sprintf("traffic_file %s differs from the document the store holds (revision %d), which is served; run `gtmd apply -f %s` to serve the file", path, st.TrafficRevision, path)
	n.log.Warn("traffic_file differs from the stored document, which is served; apply the file to serve it", "file", path, "revision", st.TrafficRevision, "command", "gtmd apply -f "+path)
	n.mu.Lock()
	n.trafficFileNote, n.trafficFileNoteRevision = note, st.TrafficRevision
	n.mu.Unlock()
}

// trafficFileNoteLocked is noteTrafficFile's note while the document it
// is about is still the one served.
func (n *Node) trafficFileNoteLocked() string {
	if n.trafficFileNote == "" || n.revision != n.trafficFileNoteRevision {
		return ""
	}
	return n.trafficFileNote
}
