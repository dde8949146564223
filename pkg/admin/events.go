package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// getEvents streams the backend's events as server-sent events, one
// "event: TYPE" and "data: JSON" pair each, with a comment line every
// heartbeat so that idle proxies keep the stream open. It ends when the
// client goes or the backend closes the channel. At most
// admin.limits.max_event_streams are open at once.
func (s *server) getEvents(w http.ResponseWriter, r *http.Request) {
	release, ok := s.admitStream(w)
	if !ok {
		return
	}
	defer release()
	ctx := r.Context()
	events, err := s.backend.Subscribe(ctx)
	if err != nil {
		s.fail(w, r, "events", err)
		return
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout, which would cut it:
	// each write gets its own deadline instead, so a client that stops
	// reading still gives its place back. (net/http lifts the read
	// deadline itself while a handler runs.)
	send := func(format string, args ...any) error {
		_ = rc.SetWriteDeadline(time.Now().Add(s.writeTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if err := send(": gtmd events\n\n"); err != nil {
		return
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			err = send(": heartbeat\n\n")
		case ev, ok := <-events:
			if !ok {
				return
			}
			var data []byte
			data, err = json.Marshal(ev)
			if err != nil {
				s.log.Warn("encoding an event", "type", ev.Type, "err", err)
				continue
			}
			err = send("event: %s\ndata: %s\n\n", sanitizeEventType(ev.Type), data)
		}
		if err != nil {
			return
		}
	}
}

// sanitizeEventType keeps an event type on one line of the stream.
func sanitizeEventType(t string) string {
	if i := strings.IndexAny(t, "\r\n"); i >= 0 {
		return t[:i]
	}
	return t
}
