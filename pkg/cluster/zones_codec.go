package cluster

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
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
// the JSON's CRC-32 (IEEE, big-endian; DEFLATE itself has no check, and
// a damaged stream often inflates to other valid JSON), then the JSON in
// raw DEFLATE (RFC 1951). A value that starts with "{" is a bucket as
// gtmd stored them before, read as it is.
type bucketCodec struct {
	writers sync.Pool // *flate.Writer
	readers sync.Pool // io.ReadCloser that is also a flate.Resetter
}

// deflatedBucket marks a compressed bucket: no JSON text starts with it.
const deflatedBucket = 0x01

// maxInflation bounds what DEFLATE can make of a byte (its longest
// match, 258 bytes, costs at least two bits): a stored length beyond it
// is damage, refused before anything is allocated for it. Whatever a
// writer stored, however large, reads back.
const maxInflation = 1032

// encode returns a bucket's value as stored, from its JSON.
func (c *bucketCodec) encode(json []byte) string {
	var b bytes.Buffer
	b.Grow(len(json)/4 + 16)
	var head [1 + binary.MaxVarintLen64 + 4]byte
	h := binary.AppendUvarint(append(head[:0], deflatedBucket), uint64(len(json)))
	b.Write(binary.BigEndian.AppendUint32(h, crc32.ChecksumIEEE(json)))
	w, _ := c.writers.Get().(*flate.Writer)
	if w == nil {
		// BestSpeed: a put of a million records compresses 75 MB, and
		// the better levels gain a few percent for several times the CPU.
		w, _ = flate.NewWriter(&b, flate.BestSpeed)
	} else {
		w.Reset(&b)
	}
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(json)
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
	if used <= 0 || len(value) < 1+used+4 {
		return nil, fmt.Errorf("compressed bucket: no length and check")
	}
	sum := binary.BigEndian.Uint32(value[1+used:])
	body := value[1+used+4:]
	if n > maxInflation*uint64(len(body))+64 {
		return nil, fmt.Errorf("compressed bucket: %d bytes of JSON said in %d compressed", n, len(body))
	}
	src := bytes.NewReader(body)
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
	if k, err := r.Read(more[:]); k > 0 || err != io.EOF || src.Len() > 0 {
		return nil, fmt.Errorf("compressed bucket: does not end after the %d bytes of JSON it says", n)
	}
	if crc32.ChecksumIEEE(out) != sum {
		return nil, fmt.Errorf("compressed bucket: its JSON does not match its check")
	}
	return out, nil
}
