package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ZoneChangedError is returned when a zone's records were changed by
// another writer between the read a change was computed from and its
// commit.
type ZoneChangedError struct {
	Zone          string
	Want, Current int64
}

func (e *ZoneChangedError) Error() string {
	return fmt.Sprintf("the records of zone %s are at revision %d, not %d", e.Zone, e.Current, e.Want)
}

// zoneChange is the edit of one zone's records that a write makes,
// computed from base, the zone as read.
type zoneChange struct {
	zone string
	base *ZoneRecords
	puts []RRset
	// deletes are the Keys of RRsets to delete.
	deletes []string
	// whole, when set, is every RRset the zone holds after the change
	// (a replacement of all of them): after need not make it again.
	// With nothing stored (base nil) it is what the change puts, which
	// puts does not repeat.
	whole map[string]RRset
}

func (c *zoneChange) empty() bool {
	return len(c.puts) == 0 && len(c.deletes) == 0 && !(c.base == nil && len(c.whole) > 0)
}

// after is the zone's RRsets once the change is made.
func (c *zoneChange) after() map[string]RRset {
	if c.whole != nil {
		return c.whole
	}
	out := make(map[string]RRset, c.base.Len())
	for k, r := range c.base.byKey() {
		out[k] = r
	}
	for _, k := range c.deletes {
		delete(out, k)
	}
	for _, r := range c.puts {
		out[r.Key()] = r
	}
	return out
}

// afterLen is how many RRsets the zone holds once the change is made.
func (c *zoneChange) afterLen() int {
	if c.whole != nil {
		// Counted, not made again: a put of a million RRsets made a
		// map of their keys here.
		return len(c.whole)
	}
	n := c.base.Len()
	held := func(k string) bool {
		if c.base == nil {
			return false
		}
		_, ok := c.base.sets.get(k)
		return ok
	}
	seen := make(map[string]bool, len(c.puts)+len(c.deletes))
	for _, r := range c.puts {
		k := r.Key()
		if !held(k) && !seen[k] {
			n++
		}
		seen[k] = true
	}
	for _, k := range c.deletes {
		if held(k) && !seen[k] {
			n--
		}
		seen[k] = true
	}
	return n
}

// diffZone is the change that makes base hold want, touching only the
// RRsets keep does not keep (keep == nil: every RRset not in want goes).
func diffZone(zone string, base *ZoneRecords, want map[string]RRset, keep func(RRset) bool) zoneChange {
	c := zoneChange{zone: zone, base: base}
	if base == nil && keep == nil {
		// Nothing stored: every RRset wanted is put, and goes to a new
		// generation made from whole (after). A copy of each in puts
		// would be 100 MB held while a million are written.
		c.whole = want
		return c
	}
	for k, w := range want {
		if r, ok := base.Lookup(k); !ok || !r.SameAs(w) {
			c.puts = append(c.puts, w)
		}
	}
	if keep == nil {
		// Everything not wanted goes: want is the zone after, and the
		// RRsets that go need no more than their keys.
		c.whole = want
		if base != nil {
			for k := range base.sets.all {
				if _, ok := want[k]; !ok {
					c.deletes = append(c.deletes, k)
				}
			}
		}
		return c
	}
	for k, r := range base.byKey() {
		if _, ok := want[k]; !ok && !keep(r) {
			c.deletes = append(c.deletes, k)
		}
	}
	return c
}

// newGen names a new generation: random, so two writers never write
// into the same one.
func newGen() string { return fmt.Sprintf("%016x", rand.Uint64()) }

// headCmp is the compare that holds while the zone's head is as read.
func (s *Store) headCmp(c *zoneChange) clientv3.Cmp {
	key := s.keys.zoneHead(c.zone)
	if c.base == nil || c.base.Revision == 0 {
		return clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
	}
	return clientv3.Compare(clientv3.ModRevision(key), "=", c.base.Revision)
}

func headValue(gen string) string {
	b, _ := json.Marshal(zoneHead{Gen: gen})
	return string(b)
}

// Bucket sizes: a generation is written in the fewest buckets (a power
// of two, at most maxBuckets) that hold bucketBytes each; a change that
// would grow a bucket past maxBucketBytes writes a new generation with
// more, unless the zone's size calls for no more (one bucket holds one
// large RRset).
const (
	bucketBytes    = 16 << 10
	maxBucketBytes = 128 << 10
	maxBuckets     = 1 << 16
)

// bucketsFor is how many buckets a generation of about size bytes is
// written in.
func bucketsFor(size int) int {
	n := 1
	for n < maxBuckets && n*bucketBytes < size {
		n *= 2
	}
	return n
}

// sizeOf is what r takes in a bucket's value, its separator included.
func sizeOf(r RRset) int {
	n := len(`"":{"ttl":,"data":[],"source":""},`) + len(r.Name) + 1 + len(r.Type) + len(strconv.FormatUint(uint64(r.TTL), 10)) + len(r.Source)
	for _, d := range r.Data {
		n += len(d) + 3 + strings.Count(d, `"`) + strings.Count(d, `\`)
	}
	return n
}

// size is what the zone's buckets hold after the change: a look at
// every RRset, made only when a bucket outgrows maxBucketBytes.
func (c *zoneChange) size() int {
	changed := make(map[string]bool, len(c.puts)+len(c.deletes))
	for _, k := range c.deletes {
		changed[k] = true
	}
	size := 0
	for _, r := range c.puts {
		changed[r.Key()] = true
		size += sizeOf(r)
	}
	for k, r := range c.base.sets.all {
		if !changed[k] {
			size += sizeOf(r.rrset(k))
		}
	}
	return size
}

// inPlaceOps edits the zone's generation in place: the buckets the
// change touches, written whole, then its head (last, so that the
// buckets of a first write are read before the head names their
// generation). Records of no bucketed generation (none stored, empty, or
// stored one RRset a key) go to a new generation that the same
// operations flip to, when they fit. False when the change does not fit
// in place: a new generation must be written apart.
func (s *Store) inPlaceOps(c *zoneChange) ([]clientv3.Op, int, bool) {
	if c.base == nil || c.base.sets == nil || !c.base.sets.bucketed {
		if c.afterLen() > MaxTxnOps {
			// Not made to be measured: a million RRsets put were a map
			// made here and again for the new generation.
			return nil, 0, false
		}
		after := c.after()
		gen := newGen()
		ops, size := s.bucketOps(c.zone, gen, after, nil)
		return append(ops, s.flipOps(c.zone, gen)...), size, true
	}
	added := 0
	for _, r := range c.puts {
		added += sizeOf(r)
	}
	if added > maxTxnBytes {
		// Not even the RRsets put fit: no bucket is made to learn it.
		return nil, 0, false
	}
	base := c.base.sets
	n := len(base.shards)
	touched := map[int]map[string]RRset{}
	bucket := func(k string) map[string]RRset {
		i := bucketOf(k, n)
		m := touched[i]
		if m == nil {
			m = make(map[string]RRset, base.shardLen(i)+1)
			for key, r := range base.inShard(i) {
				m[key] = r.rrset(key)
			}
			touched[i] = m
		}
		return m
	}
	for _, k := range c.deletes {
		delete(bucket(k), k)
	}
	for _, r := range c.puts {
		bucket(r.Key())[r.Key()] = r
	}
	est := 0
	for _, m := range touched {
		for _, r := range m {
			est += sizeOf(r)
		}
	}
	if est > maxTxnBytes {
		return nil, 0, false
	}
	var ops []clientv3.Op
	size := 0
	for i, m := range touched {
		key := s.keys.zoneBucket(c.zone, c.base.Gen, i, n)
		if len(m) == 0 {
			ops = append(ops, clientv3.OpDelete(key))
			continue
		}
		js := bucketJSON(m)
		if len(js) > maxBucketBytes && bucketsFor(c.size()) > n {
			return nil, 0, false
		}
		v := s.buckets.encode(js)
		size += len(v)
		ops = append(ops, clientv3.OpPut(key, v))
	}
	return append(ops, clientv3.OpPut(s.keys.zoneHead(c.zone), headValue(c.base.Gen))), size, true
}

// bucketOps are the puts of sets as generation gen's buckets, each
// handed to each (nil: collected and returned) with its size.
func (s *Store) bucketOps(zone, gen string, sets map[string]RRset, each func(clientv3.Op, int)) ([]clientv3.Op, int) {
	size := 0
	for _, r := range sets {
		size += sizeOf(r)
	}
	n := bucketsFor(size)
	buckets := make([][]string, n)
	for k := range sets {
		i := bucketOf(k, n)
		buckets[i] = append(buckets[i], k)
	}
	var ops []clientv3.Op
	total := 0
	for i, keys := range buckets {
		if len(keys) == 0 {
			continue
		}
		m := make(map[string]RRset, len(keys))
		for _, k := range keys {
			m[k] = sets[k]
		}
		v := s.buckets.encode(bucketJSON(m))
		op := clientv3.OpPut(s.keys.zoneBucket(zone, gen, i, n), v)
		if each != nil {
			each(op, len(v))
			continue
		}
		ops = append(ops, op)
		total += len(v)
	}
	return ops, total
}

// writeGen writes sets as a new generation of zone, in transactions of
// at most MaxTxnOps buckets and genTxnBytes, genWriters of them in
// flight (etcd commits concurrent ones with one disk sync), and returns
// its name. Nobody serves it until a head names it.
func (s *Store) writeGen(ctx context.Context, zone string, sets map[string]RRset) (string, error) {
	gen := newGen()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	slots := make(chan struct{}, genWriters)
	send := func(ops []clientv3.Op) {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if _, err := s.client.Txn(ctx).Then(ops...).Commit(); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("writing the records of zone %s: %w", zone, err)
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	ops := make([]clientv3.Op, 0, MaxTxnOps)
	size := 0
	s.bucketOps(zone, gen, sets, func(op clientv3.Op, n int) {
		if len(ops) == MaxTxnOps || (len(ops) > 0 && size+n > genTxnBytes) {
			send(ops)
			ops, size = make([]clientv3.Op, 0, MaxTxnOps), 0
		}
		ops = append(ops, op)
		size += n
	})
	if len(ops) > 0 {
		send(ops)
	}
	wg.Wait()
	if firstErr != nil {
		s.dropGen(zone, gen)
		return "", firstErr
	}
	return gen, nil
}

// genTxnBytes bounds the buckets of one transaction of a new
// generation: etcd keeps its latest raft entries in memory
// (embedded.raftLogEntries of them), so a generation of a million
// records written 1 MiB a transaction stayed resident (70 MB).
const genTxnBytes = 256 << 10

// genWriters is how many transactions of a new generation are in
// flight at once.
const genWriters = 8

// dropGen deletes a generation that will not be served, as far as etcd
// lets it now; the zone's next flip deletes what is left.
func (s *Store) dropGen(zone, gen string) {
	ctx, cancel := context.WithTimeout(s.ctx, dropTimeout)
	defer cancel()
	_, _ = s.client.Delete(ctx, s.keys.zoneGen(zone, gen), clientv3.WithPrefix())
}

// dropTimeout bounds the cleanup of a generation that will not be
// served.
const dropTimeout = 10 * time.Second

// flipOps make gen the zone's generation and delete every other one.
func (s *Store) flipOps(zone, gen string) []clientv3.Op {
	all := s.keys.zoneGens(zone)
	this := s.keys.zoneGen(zone, gen)
	return []clientv3.Op{
		clientv3.OpPut(s.keys.zoneHead(zone), headValue(gen)),
		clientv3.OpDelete(all, clientv3.WithRange(this)),
		clientv3.OpDelete(clientv3.GetPrefixRangeEnd(this), clientv3.WithRange(clientv3.GetPrefixRangeEnd(all))),
	}
}

// commitZones commits changes to zones together with ops (the traffic
// document, for an apply) if every compare in cmps holds and no zone
// changed since it was read: in one transaction when everything fits,
// else each zone that does not fit is written as a new generation first
// and flipped in the final transaction. els are the operations run when
// a compare fails. Generations written for a commit that fails are
// deleted.
func (s *Store) commitZones(ctx context.Context, cmps []clientv3.Cmp, ops []clientv3.Op, changes []zoneChange, els ...clientv3.Op) (*clientv3.TxnResponse, error) {
	type planned struct {
		ops  []clientv3.Op
		size int
	}
	plans := make([]planned, 0, len(changes))
	// The document's own operation counts toward etcd's request limit.
	total, bytes, fits := len(ops), 0, true
	for _, op := range ops {
		bytes += len(op.KeyBytes()) + len(op.ValueBytes())
	}
	for i := range changes {
		c := &changes[i]
		if c.empty() {
			continue
		}
		cmps = append(cmps, s.headCmp(c))
		o, n, ok := s.inPlaceOps(c)
		if !ok {
			fits = false
		}
		plans = append(plans, planned{o, n})
		total, bytes = total+len(o), bytes+n
	}
	var written []zoneChange
	var gens []string
	if !fits || total > MaxTxnOps || bytes > maxTxnBytes {
		// Every zone changed goes to a new generation: the final
		// transaction holds three operations a zone.
		plans = plans[:0]
		for i := range changes {
			c := &changes[i]
			if c.empty() {
				continue
			}
			gen, err := s.writeGen(ctx, c.zone, c.after())
			if err != nil {
				s.dropGens(written, gens)
				return nil, err
			}
			written, gens = append(written, *c), append(gens, gen)
			plans = append(plans, planned{ops: s.flipOps(c.zone, gen)})
		}
		if len(ops)+3*len(plans) > MaxTxnOps {
			s.dropGens(written, gens)
			return nil, fmt.Errorf("one write changes the records of %d zones, more than one transaction of %d operations can flip; change fewer zones at once", len(plans), MaxTxnOps)
		}
	}
	for _, p := range plans {
		ops = append(ops, p.ops...)
	}
	resp, err := s.client.Txn(ctx).If(cmps...).Then(ops...).Else(els...).Commit()
	if err != nil || !resp.Succeeded {
		s.dropGens(written, gens)
	}
	return resp, err
}

func (s *Store) dropGens(changes []zoneChange, gens []string) {
	for i, c := range changes {
		s.dropGen(c.zone, gens[i])
	}
}

// readZone reads a zone's records from etcd, page by page: the head,
// then its generation at the head's revision. A compaction between the
// pages (the revision gone) starts it again, a few times.
func (s *Store) readZone(ctx context.Context, zone string) (*ZoneRecords, error) {
	for try := 1; ; try++ {
		z, err := s.readZoneOnce(ctx, zone)
		if !errors.Is(err, rpctypes.ErrCompacted) || try == 3 {
			return z, err
		}
	}
}

func (s *Store) readZoneOnce(ctx context.Context, zone string) (*ZoneRecords, error) {
	resp, err := s.client.Get(ctx, s.keys.zoneHead(zone))
	if err != nil {
		return nil, fmt.Errorf("reading the records of zone %s: %w", zone, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	var h zoneHead
	if err := json.Unmarshal(resp.Kvs[0].Value, &h); err != nil {
		return nil, fmt.Errorf("reading the records of zone %s: head: %w", zone, err)
	}
	z := &ZoneRecords{Revision: resp.Kvs[0].ModRevision, Gen: h.Gen, sets: newStoredRRsets(defaultShards, false)}
	dir := s.keys.zoneDir(zone)
	_, err = s.readPages(func() (context.Context, context.CancelFunc) { return ctx, func() {} }, s.keys.zoneGen(zone, h.Gen), resp.Header.Revision, func(kv *mvccpb.KeyValue) error {
		k, ok := parseZoneKey(zone + " " + string(kv.Key[len(dir):]))
		if !ok {
			// Nothing gtmd wrote.
			return nil
		}
		// A generation of both layouts is read whole, not bucketed: the
		// change made from it writes a new one.
		z.sets, _ = z.sets.forKey(k)
		if k.buckets == 0 {
			r, err := decodeRRset(k.set, kv.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", kv.Key, err)
			}
			z.sets.put(k.set, r.stored())
			return nil
		}
		js, err := s.buckets.decode(kv.Value)
		if err != nil {
			return fmt.Errorf("%s: %w", kv.Key, err)
		}
		sets, err := decodeBucket(k, js)
		if err != nil {
			return fmt.Errorf("%s: %w", kv.Key, err)
		}
		z.sets.takeBucket(k.bucket, sets, func(_ string, r RRset, _ storedRRset, _ bool) storedRRset { return r.stored() })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the records of zone %s: %w", zone, err)
	}
	z.sets.settle()
	return z, nil
}

// readPages hands each key under prefix to each, Options.ReadPage keys a
// read, every read at revision rev (0: the first read's, which it
// returns); ctx gives each read its context.
func (s *Store) readPages(ctx func() (context.Context, context.CancelFunc), prefix string, rev int64, each func(*mvccpb.KeyValue) error) (int64, error) {
	end := clientv3.GetPrefixRangeEnd(prefix)
	from := prefix
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(int64(s.opts.ReadPage))}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		c, cancel := ctx()
		page, err := s.client.Get(c, from, opts...)
		cancel()
		if err != nil {
			return 0, err
		}
		if rev == 0 {
			rev = page.Header.Revision
		}
		for _, kv := range page.Kvs {
			if err := each(kv); err != nil {
				return 0, err
			}
		}
		if !page.More || len(page.Kvs) == 0 {
			return rev, nil
		}
		from = string(page.Kvs[len(page.Kvs)-1].Key) + "\x00"
	}
}

// ReplaceZone makes sets (each marked SourceData) all of zone's static
// records, whatever the document or earlier changes wrote, atomically;
// it returns the revision of the change (the zone's revision as read
// when nothing changed).
func (s *Store) ReplaceZone(ctx context.Context, zone string, sets map[string]RRset) (int64, error) {
	zone = ZoneName(zone)
	for attempt := 0; attempt < 3; attempt++ {
		base, err := s.readZone(ctx, zone)
		if err != nil {
			return 0, err
		}
		c := diffZone(zone, base, sets, nil)
		if c.empty() {
			if base == nil {
				return 0, nil
			}
			return base.Revision, nil
		}
		resp, err := s.commitZones(ctx, nil, nil, []zoneChange{c})
		if err != nil {
			return 0, fmt.Errorf("replacing the records of zone %s: %w", zone, err)
		}
		if resp.Succeeded {
			return resp.Header.Revision, nil
		}
	}
	return 0, fmt.Errorf("replacing the records of zone %s: other writers changed them three times while it was written; try again", zone)
}

// UpdateZone changes zone's records from base, the zone as the caller
// read it (nil: nothing stored): puts written, the RRsets of deletes
// (Keys) removed, in one transaction, if the zone is still at base's
// revision; else a *ZoneChangedError. It returns the change's revision.
func (s *Store) UpdateZone(ctx context.Context, zone string, base *ZoneRecords, puts []RRset, deletes []string) (int64, error) {
	zone = ZoneName(zone)
	c := zoneChange{zone: zone, base: base, puts: puts, deletes: deletes}
	if c.empty() {
		if base == nil {
			return 0, nil
		}
		return base.Revision, nil
	}
	head := s.keys.zoneHead(zone)
	resp, err := s.commitZones(ctx, nil, nil, []zoneChange{c}, clientv3.OpGet(head, clientv3.WithKeysOnly()))
	if err != nil {
		return 0, fmt.Errorf("updating the records of zone %s: %w", zone, err)
	}
	if !resp.Succeeded {
		e := &ZoneChangedError{Zone: zone}
		if base != nil {
			e.Want = base.Revision
		}
		if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
			e.Current = kvs[0].ModRevision
		}
		return 0, e
	}
	return resp.Header.Revision, nil
}

// ZoneRecords reads a zone's records from etcd (nil when none are
// stored), for a reader that needs them as of now rather than as the
// watch last saw them.
func (s *Store) ZoneRecords(ctx context.Context, zone string) (*ZoneRecords, error) {
	return s.readZone(ctx, ZoneName(zone))
}
