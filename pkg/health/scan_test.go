package health

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestScanBody: the window finds a needle wherever the reads split it,
// and never looks past MaxBodyScan.
func TestScanBody(t *testing.T) {
	long := strings.Repeat("n", 3*scanChunk)
	tests := []struct {
		name, body, want, wantErr string
	}{
		{"at the start", "needle and more", "needle", ""},
		{"across reads", strings.Repeat("x", scanChunk-3) + "needle", "needle", ""},
		{"ending at the limit", strings.Repeat("x", MaxBodyScan-6) + "needle", "needle", ""},
		{"one byte past the limit", strings.Repeat("x", MaxBodyScan-5) + "needle", "needle",
			`body does not contain "needle" in its first 65536 bytes`},
		{"absent from a short body", "status: ok", "down", `body does not contain "down"`},
		{"a needle longer than a read", "x" + long + "x", long, ""},
	}
	var bufs scanBuffers
	for _, tt := range tests {
		for _, split := range []bool{false, true} {
			r := bytes.NewReader([]byte(tt.body))
			body := iotestReader(r, split)
			buf := bufs.get([]byte(tt.want))
			err := scanBody(body, []byte(tt.want), *buf)
			bufs.put(buf)
			if errText(err) != tt.wantErr {
				t.Errorf("%s (one byte a read: %v): err %v, want %q", tt.name, split, err, tt.wantErr)
			}
		}
	}
}

func iotestReader(r *bytes.Reader, oneByte bool) io.Reader {
	if oneByte {
		return iotest.OneByteReader(r)
	}
	return r
}
