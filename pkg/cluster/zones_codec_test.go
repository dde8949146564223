package cluster

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestBucketCodec: a bucket comes back as it was stored, compressed to a
// fraction of its JSON; a bucket stored as JSON by an earlier gtmd reads
// as it is; a damaged value is an error, never a wrong bucket.
func TestBucketCodec(t *testing.T) {
	var c bucketCodec
	sets := map[string]RRset{}
	for i := range 120 {
		r := aRRset(i)
		sets[r.Key()] = r
	}
	js := encodeBucket(sets)
	v := c.encode([]byte(js))
	if v[0] != deflatedBucket || len(v) > len(js)/3 {
		t.Errorf("stored %d bytes for %d of JSON (first byte %#x)", len(v), len(js), v[0])
	}
	for range 3 { // the pooled reader and writer too
		if got, err := c.decode([]byte(c.encode([]byte(js)))); err != nil || string(got) != js {
			t.Fatalf("decode(encode(bucket)) = %.40q…, %v", got, err)
		}
	}
	if got, err := c.decode([]byte(js)); err != nil || string(got) != js {
		t.Errorf("a JSON bucket does not read as it is: %.40q…, %v", got, err)
	}
	head := 1 + len(binary.AppendUvarint(nil, uint64(len(js)))) + 4
	check, body := v[head-4:head], v[head:]
	withLength := func(n uint64, rest string) []byte {
		return append(append(binary.AppendUvarint([]byte{deflatedBucket}, n), check...), rest...)
	}
	flipped := []byte(v)
	flipped[len(flipped)/2] ^= 0x10
	damaged := map[string][]byte{
		"cut short":          []byte(v[:len(v)/2]),
		"longer than it is":  withLength(uint64(len(js)+1), body),
		"shorter than it is": withLength(uint64(len(js)-1), body),
		"more than it holds": withLength(maxInflation*uint64(len(body))+65, body),
		"no length":          {deflatedBucket},
		"no check":           binary.AppendUvarint([]byte{deflatedBucket}, 3),
		"bytes after it":     withLength(uint64(len(js)), body+"x"),
		"a bit changed":      flipped,
		"not DEFLATE":        withLength(10, strings.Repeat("\xff", 20)),
		"empty":              withLength(0, ""),
	}
	if got, err := c.decode(withLength(uint64(len(js)), body)); err != nil || string(got) != js {
		t.Fatalf("the value taken apart and put together again does not decode: %v", err)
	}
	for name, value := range damaged {
		if got, err := c.decode(value); err == nil {
			t.Errorf("%s: decoded to %q without an error", name, got)
		}
	}
}

// TestBucketCodecLarge: a bucket as large as any writer stores (one
// RRset of a hundred thousand records, most alike) reads back, though it
// compresses to far less than its JSON.
func TestBucketCodecLarge(t *testing.T) {
	var c bucketCodec
	js := []byte(`{"big.example. TXT":{"ttl":300,"data":[` + strings.Repeat(`"v=spf1 -all",`, 700_000) + `"end"],"source":"data"}}`)
	v := c.encode(js)
	got, err := c.decode([]byte(v))
	if err != nil || !bytes.Equal(got, js) {
		t.Fatalf("a bucket of %d bytes of JSON, %d stored, does not read back: %v", len(js), len(v), err)
	}
}

// FuzzBucketCodec: no stored value makes decode panic, and what it
// decodes of a compressed value is the length it says.
func FuzzBucketCodec(f *testing.F) {
	var c bucketCodec
	f.Add([]byte(c.encode([]byte(`{"a.example. A":{"ttl":300,"data":["192.0.2.1"],"source":"data"}}`))))
	f.Add([]byte(`{}`))
	f.Add([]byte{deflatedBucket, 3, 0, 0})
	f.Fuzz(func(t *testing.T, value []byte) {
		got, err := c.decode(value)
		if err != nil || len(value) == 0 || value[0] != deflatedBucket {
			return
		}
		if n, _ := binary.Uvarint(value[1:]); uint64(len(got)) != n {
			t.Errorf("decoded %d bytes, the value says %d", len(got), n)
		}
		if back, err := c.decode([]byte(c.encode(got))); err != nil || !bytes.Equal(back, got) {
			t.Errorf("what it decoded does not come back: %v", err)
		}
	})
}

// TestZoneBucketsStoredAsJSON: buckets an earlier gtmd stored as JSON
// are read as they are, by a node opened on them and by a writer that
// changes one of them, which stores it compressed.
func TestZoneBucketsStoredAsJSON(t *testing.T) {
	t.Parallel()
	a, raw, eps := zoneStore(t)
	ctx := ctxTimeout(t, time.Minute)
	sets := map[string]RRset{}
	for i := range 2000 {
		r := aRRset(i)
		sets[r.Key()] = r
	}
	if _, err := a.ReplaceZone(ctx, "example.com.", sets); err != nil {
		t.Fatal(err)
	}
	resp, err := raw.Get(ctx, testPrefix+"zones/example.com. rr ", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	var codec bucketCodec
	for _, kv := range resp.Kvs {
		js, err := codec.decode(kv.Value)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Put(ctx, string(kv.Key), string(js)); err != nil {
			t.Fatal(err)
		}
	}
	late := openNode(t, eps, "late")
	rev := resp.Header.Revision + int64(len(resp.Kvs))
	st := late.states.wait(t, 10*time.Second, "a node reads JSON buckets", func(s *State) bool { return s.Revision >= rev })
	if got := st.Zones["example.com."].Len(); got != len(sets) {
		t.Fatalf("a node opened on JSON buckets holds %d RRsets, want %d", got, len(sets))
	}
	for k, want := range sets {
		if got, ok := st.Zones["example.com."].Lookup(k); !ok || !got.SameAs(want) {
			t.Fatalf("%s: read %+v, want %+v", k, got, want)
		}
	}
	// A change of one RRset rewrites its bucket, compressed, and keeps
	// the rest of it.
	changed := aRRset(7)
	changed.Data = []string{"192.0.2.77"}
	base, err := late.ZoneRecords(ctx, "example.com.")
	if err != nil {
		t.Fatal(err)
	}
	rev, err = late.UpdateZone(ctx, "example.com.", base, []RRset{changed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st = a.states.wait(t, 10*time.Second, "the change", func(s *State) bool { return s.ServedRevision() >= rev })
	sets[changed.Key()] = changed
	for k, want := range sets {
		if got, ok := st.Zones["example.com."].Lookup(k); !ok || !got.SameAs(want) {
			t.Fatalf("after the change, %s: read %+v, want %+v", k, got, want)
		}
	}
	resp, err = raw.Get(ctx, testPrefix+"zones/example.com. rr ", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	compressed := 0
	for _, kv := range resp.Kvs {
		if kv.Value[0] == deflatedBucket {
			compressed++
		}
	}
	if compressed != 1 {
		t.Errorf("after a change of one RRset, %d buckets of %d are compressed, want the one changed", compressed, len(resp.Kvs))
	}
}
