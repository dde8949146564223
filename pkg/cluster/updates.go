package cluster

// Update is what the store reports on the channel Updates returns: the
// latest state and whether etcd answers, as one value, so a reader never
// sees a connection change out of order with the states around it.
type Update struct {
	// State is the latest state read; empty (never nil) before the first
	// read.
	State *State
	// Connected reports whether etcd answered the last probes; Reason
	// says why not when it did not.
	Connected bool
	Reason    string
	// ConnectedRevision is the store's revision when etcd last became
	// reachable: a reader that sees it change knows the store came back,
	// even if the outage between two reads was too short to see.
	ConnectedRevision int64
}

// Updates returns the store's reports. The channel holds at most one:
// a report not yet read is replaced by the next, which carries
// everything it did (the latest state wins), so a slow reader never
// holds the store up and never reads stale news. It is closed by Close.
func (s *Store) Updates() <-chan Update { return s.updates }

// report changes the pending report with edit and hands it on.
func (s *Store) report(edit func(*Update)) {
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	if s.reportClosed {
		return
	}
	edit(&s.latest)
	// Only report sends, under reportMu: once the unread report is
	// taken back, the send cannot block.
	select {
	case <-s.updates:
	default:
	}
	s.updates <- s.latest
}

// closeUpdates ends the stream once nothing reports any more.
func (s *Store) closeUpdates() {
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	if !s.reportClosed {
		s.reportClosed = true
		close(s.updates)
	}
}
