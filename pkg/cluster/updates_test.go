package cluster

import "testing"

// TestUpdatesKeepTheLatest: reports a reader has not taken are replaced
// by the next, which carries what they said; nothing blocks the store,
// and after the stream is closed a late report is dropped, not a panic.
func TestUpdatesKeepTheLatest(t *testing.T) {
	s := &Store{updates: make(chan Update, 1), latest: Update{State: newState()}}
	first := newState()
	first.Revision = 1
	s.report(func(u *Update) { u.State = first })
	s.report(func(u *Update) { u.Connected, u.ConnectedRevision = true, 7 })
	second := newState()
	second.Revision = 2
	s.report(func(u *Update) { u.State = second })

	u := <-s.Updates()
	if u.State != second || !u.Connected || u.ConnectedRevision != 7 {
		t.Errorf("pending update = state revision %d, connected %v at %d; want the last state, connected at 7", u.State.Revision, u.Connected, u.ConnectedRevision)
	}
	select {
	case extra := <-s.Updates():
		t.Errorf("a second update was pending: %+v", extra)
	default:
	}

	s.report(func(u *Update) { u.Connected, u.Reason = false, "etcd unreachable: test" })
	s.closeUpdates()
	s.report(func(u *Update) { u.Connected = true })
	s.closeUpdates()
	u, ok := <-s.Updates()
	if !ok || u.Connected || u.Reason != "etcd unreachable: test" {
		t.Errorf("update before close = %+v (ok %v); want the disconnection", u, ok)
	}
	if _, ok := <-s.Updates(); ok {
		t.Error("the stream is still open after closeUpdates")
	}
}
