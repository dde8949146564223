package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/resolver"
)

// NOTIFY (RFC 1996): when a node starts serving a new serial of a zone
// (a new document, or a change of the zone's records), it tells the
// zone's notify targets, so secondaries transfer the change at once
// rather than at their next refresh. Every node sends them: nodes do not
// elect a sender, and a secondary takes a NOTIFY for a serial it holds
// already as a no-op, so the duplicates cost a SOA query each.

// Retries of a NOTIFY no answer came to (RFC 1996 §3.6): the interval
// doubles after each try.
const (
	notifyTries    = 5
	notifyTimeout  = 2 * time.Second
	notifyInterval = time.Second
)

// notifier sends the NOTIFY messages of each zone's new serial; a newer
// serial of a zone cancels the messages of the previous one still being
// retried, and a zone whose serial stays is not notified again.
type notifier struct {
	keys     *resolver.TSIGKeys
	byName   map[string]config.TSIGKey
	log      *slog.Logger
	interval time.Duration

	mu sync.Mutex
	// cancels stop each zone's messages being retried; sent are the
	// serials notified, by zone; unheld are the allow_transfer keys this
	// node lacks, warned about once while the document names them.
	cancels map[string]context.CancelFunc
	sent    map[string]uint32
	unheld  map[zoneKey]bool
	wg      sync.WaitGroup
}

// zoneKey is an allow_transfer key of a zone.
type zoneKey struct{ zone, key string }

func newNotifier(keys []config.TSIGKey, log *slog.Logger) *notifier {
	nt := &notifier{keys: resolver.NewTSIGKeys(keys), byName: make(map[string]config.TSIGKey, len(keys)), log: log, interval: notifyInterval,
		cancels: map[string]context.CancelFunc{}, sent: map[string]uint32{}, unheld: map[zoneKey]bool{}}
	for _, k := range keys {
		nt.byName[k.Name] = k
	}
	return nt
}

// serve notifies the targets of every zone of t whose serial (from
// serials by name, else serial) is not the one last notified, and logs
// the allow_transfer keys this node does not hold.
func (nt *notifier) serve(t *config.Traffic, serial uint32, serials map[string]uint32) {
	if nt == nil {
		return
	}
	nt.mu.Lock()
	defer nt.mu.Unlock()
	nt.warnUnheldLocked(t)
	for i := range t.Zones {
		z := &t.Zones[i]
		if len(z.Notify) == 0 {
			continue
		}
		name := dns.CanonicalName(z.Name)
		zs := serial
		if v, ok := serials[name]; ok {
			zs = v
		}
		if last, ok := nt.sent[name]; ok && last == zs {
			continue
		}
		if cancel := nt.cancels[name]; cancel != nil {
			cancel()
		}
		ctx, cancel := context.WithCancel(context.Background())
		nt.cancels[name], nt.sent[name] = cancel, zs
		key, signed := nt.byName[z.AllowTransfer[0].Key]
		soa := &dns.SOA{
			Hdr: dns.RR_Header{Name: z.Name, Rrtype: dns.TypeSOA, Class: dns.ClassINET},
			Ns:  dns.Fqdn(z.SOA.MName), Mbox: dns.Fqdn(z.SOA.RName), Serial: zs,
			Refresh: z.SOA.Refresh, Retry: z.SOA.Retry, Expire: z.SOA.Expire, Minttl: z.SOA.Minimum,
		}
		for _, target := range z.Notify {
			nt.wg.Add(1)
			go func() {
				defer nt.wg.Done()
				nt.send(ctx, soa, target, key, signed)
			}()
		}
	}
}

// warnUnheldLocked logs each allow_transfer key of t this node does not
// hold: transfers with it are refused (BADKEY) until the node file has
// it. serve runs at every change of a zone's records, so a key is warned
// about when a document starts naming it, not again at each change.
func (nt *notifier) warnUnheldLocked(t *config.Traffic) {
	now := map[zoneKey]bool{}
	for i := range t.Zones {
		z := &t.Zones[i]
		for _, a := range z.AllowTransfer {
			if _, ok := nt.byName[a.Key]; ok {
				continue
			}
			k := zoneKey{dns.CanonicalName(z.Name), a.Key}
			if !nt.unheld[k] && !now[k] {
				nt.log.Warn("allow_transfer names a TSIG key this node does not hold; transfers with it are refused", "zone", z.Name, "key", a.Key)
			}
			now[k] = true
		}
	}
	nt.unheld = now
}

// send sends one zone's NOTIFY to one target until it is answered, tried
// notifyTries times, or superseded.
// The message carries the new SOA, as RFC 1996 §3.7 allows.
func (nt *notifier) send(ctx context.Context, soa *dns.SOA, target string, key config.TSIGKey, signed bool) {
	zone, serial := soa.Hdr.Name, soa.Serial
	c := &dns.Client{Net: "udp", Timeout: notifyTimeout}
	if signed {
		c.TsigProvider = nt.keys
	}
	wait := nt.interval
	var err error
	for try := 1; try <= notifyTries; try++ {
		m := new(dns.Msg)
		m.SetNotify(zone)
		m.Answer = []dns.RR{soa}
		if signed {
			m.SetTsig(key.Name, key.DNSAlgorithm(), 300, time.Now().Unix())
		}
		var resp *dns.Msg
		resp, _, err = c.ExchangeContext(ctx, m, target)
		if ctx.Err() != nil {
			return // a newer revision is being notified, or the node stops
		}
		if err == nil {
			if resp.Rcode != dns.RcodeSuccess {
				nt.log.Warn("notify refused", "zone", zone, "target", target, "serial", serial, "rcode", dns.RcodeToString[resp.Rcode])
			} else {
				nt.log.Debug("notify answered", "zone", zone, "target", target, "serial", serial, "tries", try)
			}
			return
		}
		if try == notifyTries {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
	nt.log.Warn("notify not answered", "zone", zone, "target", target, "serial", serial, "tries", notifyTries, "err", err)
}

// stop cancels the messages being retried and waits for their
// goroutines.
func (nt *notifier) stop() {
	if nt == nil {
		return
	}
	nt.mu.Lock()
	for _, cancel := range nt.cancels {
		cancel()
	}
	nt.mu.Unlock()
	nt.wg.Wait()
}
