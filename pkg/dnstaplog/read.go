package dnstaplog

import (
	"errors"
	"fmt"
	"io"
	"os"

	dnstap "github.com/dnstap/golang-dnstap"
	"google.golang.org/protobuf/proto"
)

// maxFrame is the largest frame read: a message holds at most two DNS
// messages of 64 KiB each.
const maxFrame = 1 << 18

// ReadAll decodes the messages of a stream until it ends. It returns
// those decoded before a failure along with the failure, so that a file
// still being written yields what it holds so far.
func ReadAll(r dnstap.Reader) ([]*dnstap.Dnstap, error) {
	var out []*dnstap.Dnstap
	buf := make([]byte, maxFrame)
	for {
		n, err := r.ReadFrame(buf)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading dnstap frame %d: %w", len(out)+1, err)
		}
		m := new(dnstap.Dnstap)
		if err := proto.Unmarshal(buf[:n], m); err != nil {
			return out, fmt.Errorf("decoding dnstap frame %d: %w", len(out)+1, err)
		}
		out = append(out, m)
	}
}

// ReadFile decodes the messages of a dnstap file, as gtmd writes it with
// dnstap.file: for tools and tests that want the extra field, which
// dnstap-read does not print.
func ReadFile(path string) ([]*dnstap.Dnstap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the dnstap file: %w", err)
	}
	defer f.Close()
	r, err := dnstap.NewReader(f, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the dnstap file %s: %w", path, err)
	}
	msgs, err := ReadAll(r)
	if err != nil {
		return msgs, fmt.Errorf("%s: %w", path, err)
	}
	return msgs, nil
}
