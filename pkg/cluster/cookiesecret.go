package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// CookieSecrets are the secrets of the cluster's DNS server cookies
// (RFC 9018): every node makes cookies with Current and also accepts those
// made with Previous, so a cookie one node gave is good at every other,
// and stays good through the next rotation.
type CookieSecrets struct {
	Current, Previous [16]byte // Previous is zero until the first rotation
	// RotatedAt is when Current was made, by the clock of the node that
	// made it.
	RotatedAt time.Time
}

// CookieSecretOptions say how KeepCookieSecrets keeps the secrets.
type CookieSecretOptions struct {
	// Rotation is how often Current is replaced (cookies.secret_rotation).
	// Required.
	Rotation time.Duration
	// CheckInterval is how often the node looks whether a rotation is
	// due (default a minute, and at most Rotation/4); another node's
	// rotation arrives through a watch at once.
	CheckInterval time.Duration
	// OnChange receives the secrets each time they change, from one
	// goroutine. Required.
	OnChange func(CookieSecrets)
	// Rand makes new secrets (default crypto/rand).
	Rand io.Reader
}

// KeepCookieSecrets keeps the cluster's cookie secrets under
// <prefix>cookie-secret until the store closes: the first node to look
// creates them, whichever node first sees a rotation due makes it, each
// in one transaction conditional on what it read, so every node ends up
// with the same secrets and no two nodes race to different ones. While
// the store is unreachable the node keeps the secrets it has.
func (s *Store) KeepCookieSecrets(o CookieSecretOptions) error {
	if o.Rotation <= 0 || o.OnChange == nil {
		return errors.New("cluster: cookie secrets need a rotation interval and OnChange")
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = time.Minute
	}
	o.CheckInterval = min(o.CheckInterval, o.Rotation/4)
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	m, err := newCookieMetrics(s.opts.Registerer)
	if err != nil {
		return err
	}
	if s.ctx.Err() != nil {
		return errors.New("cluster: the store is closed")
	}
	k := &cookieKeeper{s: s, opts: o, key: s.keys.cookieSecret(), metrics: m}
	s.wg.Add(1)
	go k.run()
	return nil
}

// cookieKeeper is the goroutine of KeepCookieSecrets; only it touches its
// fields.
type cookieKeeper struct {
	s       *Store
	opts    CookieSecretOptions
	key     string
	metrics *cookieMetrics
	held    *CookieSecrets // the secrets handed to OnChange, nil before
	failing bool           // the last attempt failed (logged once)
}

// run reads (creating or rotating as due) and watches the key, and reads
// it again on every change, when a rotation falls due, and after an
// error, with a growing pause.
func (k *cookieKeeper) run() {
	defer k.s.wg.Done()
	for attempt := 0; ; attempt++ {
		rev, err := k.sync()
		if err == nil {
			k.recovered()
			attempt = 0
			err = k.watch(rev)
		}
		if k.s.ctx.Err() != nil {
			return
		}
		if err == nil {
			continue
		}
		k.failed(err)
		if !k.s.backoff(attempt) {
			return
		}
	}
}

// sync reads the secrets, creates them when there are none, replaces
// them when a rotation is due or what is stored cannot be read, and hands
// the result on. It returns the store's revision after that.
func (k *cookieKeeper) sync() (int64, error) {
	ctx, cancel := context.WithTimeout(k.s.ctx, 5*time.Second)
	defer cancel()
	resp, err := k.s.client.Get(ctx, k.key)
	if err != nil {
		return 0, fmt.Errorf("reading the cookie secret %s: %w", k.key, err)
	}
	now := k.s.now()
	// What is stored decides which secret stays valid beside the new
	// one, and what the write is conditional on.
	var (
		cond     clientv3.Cmp
		previous [16]byte
		how      string
	)
	if len(resp.Kvs) == 0 {
		// None yet, or deleted: the first to create it wins. After a
		// deletion, this node's current secret stays valid a while.
		cond, previous, how = clientv3.Compare(clientv3.CreateRevision(k.key), "=", 0), k.heldCurrent(), "created"
	} else {
		kv := resp.Kvs[0]
		stored, err := decodeCookieSecrets(kv.Value)
		switch {
		case err != nil:
			k.s.log.Warn("the stored cookie secret is unreadable; replacing it", "key", k.key, "revision", kv.ModRevision, "err", err)
			previous, how = k.heldCurrent(), "replaced"
		case k.due(stored, now):
			previous, how = stored.Current, "rotated"
		default:
			k.take(stored)
			return resp.Header.Revision, nil
		}
		cond = clientv3.Compare(clientv3.ModRevision(k.key), "=", kv.ModRevision)
	}
	next, err := k.fresh(now, previous)
	if err != nil {
		return 0, err
	}
	return k.swap(ctx, cond, next, how)
}

// swap writes next if cond still holds; if another node wrote first, its
// secrets are taken instead. how says what the write does, for the log.
func (k *cookieKeeper) swap(ctx context.Context, cond clientv3.Cmp, next CookieSecrets, how string) (int64, error) {
	v, err := json.Marshal(storedCookieSecrets{
		Current: hex.EncodeToString(next.Current[:]), Previous: previousHex(next.Previous), RotatedAt: next.RotatedAt,
	})
	if err != nil {
		return 0, fmt.Errorf("encoding the cookie secret: %w", err)
	}
	resp, err := k.s.client.Txn(ctx).If(cond).Then(clientv3.OpPut(k.key, string(v))).Else(clientv3.OpGet(k.key)).Commit()
	if err != nil {
		return 0, fmt.Errorf("writing the cookie secret %s: %w", k.key, err)
	}
	if resp.Succeeded {
		k.metrics.writes.Inc()
		k.s.log.Info("cookie secret "+how, "key", k.key, "revision", resp.Header.Revision)
		k.take(next)
		return resp.Header.Revision, nil
	}
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return 0, fmt.Errorf("the cookie secret %s changed while it was written; reading it again", k.key)
	}
	theirs, err := decodeCookieSecrets(kvs[0].Value)
	if err != nil {
		return 0, fmt.Errorf("the cookie secret %s another node wrote at revision %d: %w", k.key, kvs[0].ModRevision, err)
	}
	k.take(theirs)
	return resp.Header.Revision, nil
}

// rereadEvery is how often the key is read again even when its watch
// says nothing: a watch can stall for as long as its connection does.
const rereadEvery = time.Minute

// watch returns nil when the key changes, a rotation falls due or it is
// time to read the key again, and an error when the watch breaks.
func (k *cookieKeeper) watch(rev int64) error {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(k.s.ctx))
	// Starting a watch waits for a connection to etcd, which may be
	// away: it runs beside the ticks that make rotations, and is waited
	// for once cancelled.
	changed := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		changed <- k.awaitChange(ctx, rev)
	}()
	defer func() {
		cancel()
		<-done
	}()
	tick := time.NewTicker(k.opts.CheckInterval)
	defer tick.Stop()
	for waited := time.Duration(0); ; {
		select {
		case err := <-changed:
			return err
		case <-tick.C:
			waited += k.opts.CheckInterval
			if k.held == nil || k.due(*k.held, k.s.now()) || waited >= rereadEvery {
				return nil
			}
		}
	}
}

// awaitChange watches the key from rev+1 until it changes (nil) or the
// watch breaks.
func (k *cookieKeeper) awaitChange(ctx context.Context, rev int64) error {
	for wr := range k.s.client.Watch(ctx, k.key, clientv3.WithRev(rev+1)) {
		if err := wr.Err(); err != nil {
			return fmt.Errorf("watching %s: %w", k.key, err)
		}
		if len(wr.Events) > 0 {
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("the watch of %s ended", k.key)
}

// due reports whether cs is old enough to be replaced, or dated so far
// ahead (a clock years off) that it would never be.
func (k *cookieKeeper) due(cs CookieSecrets, now time.Time) bool {
	return !now.Before(cs.RotatedAt.Add(k.opts.Rotation)) || cs.RotatedAt.After(now.Add(k.opts.Rotation))
}

// fresh makes new secrets, previous staying valid beside them.
func (k *cookieKeeper) fresh(now time.Time, previous [16]byte) (CookieSecrets, error) {
	cs := CookieSecrets{Previous: previous, RotatedAt: now}
	if _, err := io.ReadFull(k.opts.Rand, cs.Current[:]); err != nil {
		return cs, fmt.Errorf("making a cookie secret: %w", err)
	}
	return cs, nil
}

func (k *cookieKeeper) heldCurrent() [16]byte {
	if k.held == nil {
		return [16]byte{}
	}
	return k.held.Current
}

// take hands cs on if it differs from what the node has.
func (k *cookieKeeper) take(cs CookieSecrets) {
	if k.held != nil && k.held.Current == cs.Current && k.held.Previous == cs.Previous {
		return
	}
	k.held = &cs
	k.metrics.rotatedAt.Set(float64(cs.RotatedAt.UnixNano()) / 1e9)
	k.opts.OnChange(cs)
}

func (k *cookieKeeper) failed(err error) {
	if !k.failing {
		k.failing = true
		k.s.log.Warn("cannot keep the cookie secret in the store; keeping the one this node has", "key", k.key, "err", err)
	}
}

func (k *cookieKeeper) recovered() {
	if k.failing {
		k.failing = false
		k.s.log.Info("cookie secret read from the store again", "key", k.key)
	}
}

// storedCookieSecrets is the JSON form under <prefix>cookie-secret.
type storedCookieSecrets struct {
	Current   string    `json:"current"`
	Previous  string    `json:"previous,omitempty"`
	RotatedAt time.Time `json:"rotated_at"`
}

func previousHex(p [16]byte) string {
	if p == ([16]byte{}) {
		return ""
	}
	return hex.EncodeToString(p[:])
}

// decodeCookieSecrets reads the stored form; a secret that is not 16
// bytes, or is all zeros, is refused.
func decodeCookieSecrets(b []byte) (CookieSecrets, error) {
	var st storedCookieSecrets
	var cs CookieSecrets
	if err := json.Unmarshal(b, &st); err != nil {
		return cs, err
	}
	if err := decodeSecret("current", st.Current, &cs.Current); err != nil {
		return cs, err
	}
	if cs.Current == ([16]byte{}) {
		return cs, errors.New("current is all zeros")
	}
	if st.Previous != "" {
		if err := decodeSecret("previous", st.Previous, &cs.Previous); err != nil {
			return cs, err
		}
	}
	if st.RotatedAt.IsZero() {
		return cs, errors.New("rotated_at is missing")
	}
	cs.RotatedAt = st.RotatedAt
	return cs, nil
}

func decodeSecret(field, s string, dst *[16]byte) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(dst) {
		return fmt.Errorf("%s is not %d bytes in hex", field, len(dst))
	}
	copy(dst[:], b)
	return nil
}
