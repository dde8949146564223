package health

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// scanChunk is how much of a body one read of scanBody takes.
const scanChunk = 4 << 10

// scanBuffers lends scanBody its window, so a probe does not allocate
// MaxBodyScan bytes to look for a few: only probes in flight hold one.
type scanBuffers struct{ pool sync.Pool }

func (sb *scanBuffers) get(want []byte) *[]byte {
	need := scanChunk + len(want)
	if p, ok := sb.pool.Get().(*[]byte); ok && len(*p) >= need {
		return p
	}
	b := make([]byte, max(need, 2*scanChunk))
	return &b
}

func (sb *scanBuffers) put(p *[]byte) { sb.pool.Put(p) }

// scanBody reads at most MaxBodyScan bytes of body and returns nil as soon
// as want shows up in them, so a body that trickles or never ends costs at
// most that much. buf, at least len(want) longer than one read, holds
// the new bytes and the len(want)-1 before them: where a new match can be.
func scanBody(body io.Reader, want, buf []byte) error {
	keep, total := 0, 0
	for total < MaxBodyScan {
		end := min(len(buf), keep+MaxBodyScan-total)
		m, err := body.Read(buf[keep:end])
		total += m
		n := keep + m
		if bytes.Contains(buf[:n], want) {
			return nil
		}
		keep = min(len(want)-1, n)
		copy(buf, buf[n-keep:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading body: %w", err)
		}
	}
	if total >= MaxBodyScan {
		return fmt.Errorf("body does not contain %q in its first %d bytes", want, MaxBodyScan)
	}
	return fmt.Errorf("body does not contain %q", want)
}
