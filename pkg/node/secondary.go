package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// Secondary zones (AXFR in, RFC 5936): a zone whose document names a
// primary takes its static records from that name server. Every node
// asks the primary's SOA at the zone's refresh and, when its serial
// differs from the one the node last transferred (or the node has
// transferred none since it started), transfers the zone whole and
// replaces the zone's records with it through the store, as `gtmd zone
// put` does. Nodes do not elect a transferer: the first to write
// changes the records, the others find them as the transfer has them
// and write nothing. The primary's SOA and apex NS are not taken (the
// document's are served), nor its DNSSEC records (gtmd signs its own).
// A NOTIFY from the primary (notifyTaker) makes the zone due at once.

const (
	// secondaryTick is how often the node looks for a zone due.
	secondaryTick = time.Second
	// soaTimeout bounds the SOA query of a refresh.
	soaTimeout = 2 * time.Second
	// xfrReadTimeout bounds the wait for each message of a transfer.
	xfrReadTimeout = 30 * time.Second
)

// secondaryZone is what the node knows of one secondary zone.
type secondaryZone struct {
	// primary is the zone's primary as last seen: another one starts
	// again from nothing.
	primary config.ZonePrimary
	// serial is the primary's serial last transferred, when transferred.
	serial      uint32
	transferred bool
	// next is when the zone is due; failure is the last refresh's
	// error, logged once until it changes.
	next    time.Time
	failure string
}

// secondaryLoop refreshes the served document's secondary zones until
// ctx ends. Zones are refreshed one after another: a transfer of a
// large zone holds the others back, not the node.
func (n *Node) secondaryLoop(ctx context.Context) {
	zones := map[string]*secondaryZone{}
	t := time.NewTicker(secondaryTick)
	defer t.Stop()
	for {
		n.refreshSecondaries(ctx, zones)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.notifiedWake:
			for name := range n.takeChanged(&n.notified) {
				if z := zones[name]; z != nil {
					z.next = time.Time{}
				}
			}
		}
	}
}

// refreshSecondaries refreshes each secondary zone that is due, and
// forgets the zones that are no longer secondaries.
func (n *Node) refreshSecondaries(ctx context.Context, zones map[string]*secondaryZone) {
	primaries := n.primaries()
	for name := range zones {
		if _, ok := primaries[name]; !ok {
			delete(zones, name)
		}
	}
	for name, p := range primaries {
		z := zones[name]
		if z == nil || !samePrimary(z.primary, p) {
			z = &secondaryZone{primary: p}
			zones[name] = z
		}
		if time.Now().Before(z.next) {
			continue
		}
		z.next = time.Now().Add(n.refreshSecondary(ctx, name, z))
	}
}

// primaries are the served document's secondary zones' primaries, by
// zone name (nil: none). They are read without the node's lock, so that
// a NOTIFY taken on a DNS listener's goroutine never waits for a build.
func (n *Node) primaries() map[string]config.ZonePrimary {
	if p := n.primaryZones.Load(); p != nil {
		return *p
	}
	return nil
}

// setPrimariesLocked notes the primaries of t's secondary zones.
func (n *Node) setPrimariesLocked(t *config.Traffic) {
	out := map[string]config.ZonePrimary{}
	for _, z := range t.Zones {
		if z.Primary != nil {
			out[dns.CanonicalName(z.Name)] = *z.Primary
		}
	}
	n.primaryZones.Store(&out)
}

func samePrimary(a, b config.ZonePrimary) bool {
	return a.Key == b.Key && a.Refresh == b.Refresh && strings.Join(a.Servers, " ") == strings.Join(b.Servers, " ")
}

// refreshSecondary asks the zone's primary servers, in order, for the
// SOA, and transfers the zone from the first that answers when its
// serial is new. It returns when the zone is due again: the refresh
// after an answer, the shorter retry after none.
func (n *Node) refreshSecondary(ctx context.Context, zone string, z *secondaryZone) time.Duration {
	p := &z.primary
	var errs []error
	for _, server := range p.Servers {
		soa, err := n.primarySOA(ctx, zone, server, p.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", server, err))
			continue
		}
		if z.transferred && soa.Serial == z.serial {
			z.failure = ""
			return p.RefreshAfter(soa.Refresh)
		}
		start := time.Now()
		rrsets, rev, err := n.transferIn(ctx, zone, server, p.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: transferring: %w", server, err))
			continue
		}
		z.serial, z.transferred, z.failure = soa.Serial, true, ""
		n.log.Info("zone transferred from its primary", "zone", zone, "primary", server, "serial", soa.Serial, "rrsets", rrsets, "revision", rev, "took", time.Since(start).Round(time.Millisecond))
		return p.RefreshAfter(soa.Refresh)
	}
	if err := errors.Join(errs...); ctx.Err() == nil && err.Error() != z.failure {
		z.failure = err.Error()
		n.log.Warn("cannot refresh a secondary zone from its primary; still serving the records last transferred", "zone", zone, "err", err)
	}
	return p.RefreshAfter(0)
}

// signedBy sets up c and m to be signed with the node's key named key
// (none when ""), or says that the node holds no such key.
func (n *Node) signedBy(key string, m *dns.Msg, provider func(dns.TsigProvider)) error {
	if key == "" {
		return nil
	}
	k, ok := n.notifier.byName[key]
	if !ok {
		return fmt.Errorf("the node holds no TSIG key %s (tsig_keys in its file)", key)
	}
	m.SetTsig(k.Name, k.DNSAlgorithm(), 300, time.Now().Unix())
	provider(n.notifier.keys)
	return nil
}

// primarySOA asks server for zone's SOA.
func (n *Node) primarySOA(ctx context.Context, zone, server, key string) (*dns.SOA, error) {
	m := new(dns.Msg).SetQuestion(zone, dns.TypeSOA)
	c := &dns.Client{Net: "udp", Timeout: soaTimeout}
	if err := n.signedBy(key, m, func(p dns.TsigProvider) { c.TsigProvider = p }); err != nil {
		return nil, err
	}
	resp, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, fmt.Errorf("asking the SOA: %w", err)
	}
	if resp.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("asking the SOA: %s", dns.RcodeToString[resp.Rcode])
	}
	for _, rr := range resp.Answer {
		if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, zone) {
			return soa, nil
		}
	}
	return nil, errors.New("asking the SOA: no SOA of the zone in the answer (is the zone on that server?)")
}

// transferIn transfers zone from server and makes its records the
// zone's, checked as the zones API checks a master file. It returns how
// many RRsets the zone has and the store's revision.
func (n *Node) transferIn(ctx context.Context, zone, server, key string) (int, int64, error) {
	s := n.liveStore.Load()
	if s == nil {
		return 0, 0, errors.New("the store is not open")
	}
	st := s.State()
	z, err := documentZone(st, zone)
	if err != nil {
		return 0, 0, err
	}
	m := new(dns.Msg)
	m.SetAxfr(zone)
	tr := &dns.Transfer{ReadTimeout: xfrReadTimeout}
	if err := n.signedBy(key, m, func(p dns.TsigProvider) { tr.TsigProvider = p }); err != nil {
		return 0, 0, err
	}
	envelopes, err := tr.In(m, server)
	if err != nil {
		return 0, 0, err
	}
	// The records stream into the zone file reader as they come: a zone
	// of a million is not held as text.
	r, w := io.Pipe()
	go writeTransfer(envelopes, w)
	// A node shutting down stops reading; the transfer's goroutines end
	// with the transfer, within xfrReadTimeout.
	stop := context.AfterFunc(ctx, func() { r.CloseWithError(ctx.Err()) })
	zf, err := readZoneFile(r, zone, z.DefaultTTL())
	stop()
	r.CloseWithError(errors.New("transfer read"))
	if err != nil {
		return 0, 0, err
	}
	if err := validateZoneRecords(st.Traffic, zone, zf.sets, nil); err != nil {
		return 0, 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, zoneWriteTimeout)
	defer cancel()
	rev, err := s.ReplaceZone(wctx, zone, zf.sets)
	if err != nil {
		return 0, 0, err
	}
	return len(zf.sets), rev, nil
}

// writeTransfer writes the records of a transfer to w as a master file,
// but for the types a secondary of gtmd does not take (primaryOnly),
// and closes w with the transfer's error, if any. It reads envelopes to
// their end, so the transfer's goroutine ends too.
func writeTransfer(envelopes chan *dns.Envelope, w *io.PipeWriter) {
	bw := bufio.NewWriter(w)
	var err error
	for e := range envelopes {
		if err != nil {
			continue
		}
		if err = e.Error; err != nil {
			continue
		}
		for _, rr := range e.RR {
			if primaryOnly(rr.Header().Rrtype) {
				continue
			}
			if _, err = bw.WriteString(rr.String() + "\n"); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	w.CloseWithError(err)
}

// primaryOnly reports whether records of rrtype stay the primary's: its
// DNSSEC records, which sign or prove its own copy of the zone.
func primaryOnly(rrtype uint16) bool {
	switch rrtype {
	case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY, dns.TypeZONEMD:
		return true
	}
	return false
}
