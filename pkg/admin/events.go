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
// client goes or the backend closes the channel.
func (s *server) getEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	events, err := s.backend.Subscribe(ctx)
	if err != nil {
		s.fail(w, r, "events", err)
		return
	}
	rc := http.NewResponseController(w)
	// The stream outlives any write timeout of the server.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := fmt.Fprint(w, ": gtmd events\n\n"); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_, err = fmt.Fprint(w, ": heartbeat\n\n")
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
			_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", sanitizeEventType(ev.Type), data)
		}
		if err == nil {
			err = rc.Flush()
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
