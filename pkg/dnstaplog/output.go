package dnstaplog

import (
	"fmt"
	"log/slog"
	"os"

	dnstap "github.com/dnstap/golang-dnstap"
	framestream "github.com/farsightsec/golang-framestream"

	"github.com/gtmd/gtmd/pkg/config"
)

// Output is where the frames go. The Logger's goroutine alone calls it,
// so it may block: the query path never waits on it.
type Output interface {
	// WriteFrame writes (or buffers) one frame.
	WriteFrame(frame []byte) error
	// Flush writes buffered frames out.
	Flush() error
	// Close ends the stream and releases the output.
	Close() error
}

// NewOutput makes the output the node file's dnstap section names.
func NewOutput(c config.Dnstap, log *slog.Logger) (Output, error) {
	switch {
	case c.File != "":
		return NewFileOutput(c.File)
	case c.Unix != "":
		return NewSocketOutput("unix", c.Unix, SocketOptions{Logger: log}), nil
	case c.TCP != "":
		return NewSocketOutput("tcp", c.TCP, SocketOptions{Logger: log}), nil
	}
	return nil, fmt.Errorf("dnstap: no output set (file, unix or tcp)")
}

// fileOutput is a Frame Streams file.
type fileOutput struct {
	f *os.File
	w *framestream.Writer
}

// NewFileOutput creates (or truncates) path and starts a Frame Streams
// stream of dnstap in it.
func NewFileOutput(path string) (Output, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening the dnstap file: %w", err)
	}
	w, err := framestream.NewWriter(f, &framestream.WriterOptions{ContentTypes: [][]byte{dnstap.FSContentType}})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the dnstap stream in %s: %w", path, err)
	}
	return &fileOutput{f: f, w: w}, nil
}

func (o *fileOutput) WriteFrame(frame []byte) error {
	_, err := o.w.WriteFrame(frame)
	return err
}

func (o *fileOutput) Flush() error { return o.w.Flush() }

// Close writes the stream's end, so readers see a whole stream.
func (o *fileOutput) Close() error {
	err := o.w.Close()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("closing the dnstap file %s: %w", o.f.Name(), err)
	}
	return nil
}
