package regiontarget

import (
	"net/http"
	"testing"
)

// TestUpDown: the target answers, refuses connections when down, and
// answers again on the same address when up.
func TestUpDown(t *testing.T) {
	tg, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Down()
	get := func() error {
		resp, err := http.Get("http://" + tg.Addr() + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("up: %v", err)
	}
	addr := tg.Addr()
	tg.Down()
	if err := get(); err == nil {
		t.Fatal("down: still answering")
	}
	if err := tg.Up(); err != nil {
		t.Fatal(err)
	}
	if tg.Addr() != addr {
		t.Errorf("back on %s, was %s", tg.Addr(), addr)
	}
	if err := get(); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
