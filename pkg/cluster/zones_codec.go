package cluster

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// bucketCodec compresses the buckets of a zone's records as they are
// stored and reads them back. A bucket's JSON repeats its owners' zone
// and the same few member names in every RRset, and DEFLATE stores it in
// about a fifth: a zone of a million A records is 80 MB of etcd's
// database as JSON, every page of which the embedded etcd reads (and
// keeps resident) at a start, and as many bytes through its log at a put.
//
// A compressed value is deflatedBucket, the JSON's length as a uvarint,
// then the JSON in raw DEFLATE (RFC 1951). A value that starts with "{"
// is a bucket as gtmd stored them before, read as it is.
type bucketCodec struct {
	writers sync.Pool // *flate.Writer
	readers sync.Pool // io.ReadCloser that is also a flate.Resetter
}

// deflatedBucket marks a compressed bucket: no JSON text starts with it.
const deflatedBucket = 0x01

// maxBucketJSON bounds the JSON a stored bucket says it holds: buckets
// are written below maxBucketBytes, and a damaged length must not make a
// reader allocate gigabytes.
const maxBucketJSON = 64 * maxBucketBytes

// encode returns a bucket's value as stored, from its JSON.
func (c *bucketCodec) encode(json string) string {
	var b bytes.Buffer
	b.Grow(len(json)/4 + 16)
	b.WriteByte(deflatedBucket)
	b.Write(binary.AppendUvarint(nil, uint64(len(json))))
	w, _ := c.writers.Get().(*flate.Writer)
	if w == nil {
		// BestSpeed: a put of a million records compresses 75 MB, and
		// the better levels gain a few percent for several times the CPU.
		w, _ = flate.NewWriter(&b, flate.BestSpeed)
	} else {
		w.Reset(&b)
	}
	// Writes to a bytes.Buffer do not fail.
	_, _ = io.WriteString(w, json)
	_ = w.Close()
	c.writers.Put(w)
	return b.String()
}

// decode returns the JSON of a stored bucket's value.
func (c *bucketCodec) decode(value []byte) ([]byte, error) {
	if len(value) == 0 || value[0] != deflatedBucket {
		return value, nil
	}
	n, used := binary.Uvarint(value[1:])
	if used <= 0 || n > maxBucketJSON {
		return nil, fmt.Errorf("compressed bucket: bad length")
	}
	src := bytes.NewReader(value[1+used:])
	r, _ := c.readers.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(src)
	} else if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, fmt.Errorf("compressed bucket: %w", err)
	}
	defer c.readers.Put(r)
	out := make([]byte, n)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, fmt.Errorf("compressed bucket: %d bytes of JSON said: %w", n, err)
	}
	// The stream must end there, with its last block.
	var more [1]byte
	if k, err := r.Read(more[:]); k > 0 || err != io.EOF {
		return nil, fmt.Errorf("compressed bucket: does not end after the %d bytes of JSON it says", n)
	}
	return out, nil
}
