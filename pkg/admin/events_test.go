package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
)

// sseEvent is one event of a stream.
type sseEvent struct {
	typ  string
	data string
}

// readEvents parses a stream into events and comments until it ends.
func readEvents(r *bufio.Reader, events chan<- sseEvent, comments chan<- string) {
	defer close(events)
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.typ != "" || ev.data != "" {
				events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			select {
			case comments <- strings.TrimSpace(line[1:]):
			default:
			}
		case strings.HasPrefix(line, "event: "):
			ev.typ = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[len("data: "):]
		}
	}
}

func TestEvents(t *testing.T) {
	b := admintest.New("n1", nil)
	// With the request log on, the stream goes through its writer.
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := newAPI(t, b, admin.Options{Heartbeat: 20 * time.Millisecond, Logger: log})

	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+"/v1/events", nil)
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	events := make(chan sseEvent, 16)
	comments := make(chan string, 64)
	go readEvents(bufio.NewReader(resp.Body), events, comments)

	// The headers came after Subscribe: what happens now is streamed.
	a.putJSON("/v1/overrides/www.example.com/us-east", `{"state":"down","reason":"test"}`)
	a.do(http.MethodPut, "/v1/config", changed, "Content-Type", "application/yaml")
	b.Publish(admin.MemberJoined{Member: member.Member{ID: "n2"}})

	want := []struct{ typ, contains string }{
		{"health", `"endpoint":"us-east"`},
		{"config", `"data":{"revision":2}`},
		{"member_join", `"id":"n2"`},
	}
	for _, w := range want {
		select {
		case ev := <-events:
			if ev.typ != w.typ || !strings.Contains(ev.data, w.contains) {
				t.Errorf("event %s %s, want %s containing %s", ev.typ, ev.data, w.typ, w.contains)
			}
			var e admin.Event
			if err := json.Unmarshal([]byte(ev.data), &e); err != nil || e.Type != w.typ || e.At.IsZero() {
				t.Errorf("data is not an Event: %v %+v", err, e)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event", w.typ)
		}
	}
	// Heartbeats keep the stream alive.
	for {
		select {
		case c := <-comments:
			if c != "heartbeat" {
				continue
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no heartbeat")
		}
		break
	}

	// The stream ends when the client goes.
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for b.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the subscription outlived the client")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
