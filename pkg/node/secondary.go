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

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// Secondary zones (AXFR in, RFC 5936): a zone whose document names a
// primary takes its static records from that name server. Every node
// asks the primary's SOA at the zone's refresh and, when its serial is
// newer (RFC 1982) than the one the node last transferred (or the node
// has transferred none since it started), transfers the zone whole and
// replaces the zone's records with it through the store, as `gtmd zone
// put` does. Nodes do not elect a transferer: the first to write
// changes the records, the others find them as the transfer has them
// and write nothing. The primary's SOA and apex NS are not taken (the
// document's are served), nor its DNSSEC records (gtmd signs its own).
// A NOTIFY from the primary (notifyTaker) makes the zone due at once.

const (
	// secondaryTick is how often the node looks for a zone due, and
	// the least time between two checks of one zone.
	secondaryTick = time.Second
	// soaTimeout bounds the SOA query of a refresh.
	soaTimeout = 2 * time.Second
	// xfrReadTimeout bounds the wait for each message of a transfer,
	// xfrTimeout the whole transfer.
	xfrReadTimeout = 30 * time.Second
	xfrTimeout     = 10 * time.Minute
	// failureLogEvery is how often a zone that keeps failing is logged
	// again.
	failureLogEvery = 10 * time.Minute
)

// secondaryZone is what the node knows of one secondary zone.
type secondaryZone struct {
	// primary is the zone's primary as last seen: another one starts
	// again from nothing.
	primary config.ZonePrimary
	// serial is the primary's serial last transferred, when transferred.
	serial      uint32
	transferred bool
	// refused is the last transfer the rules refused, nil when none: its
	// serial is not transferred again while the document is the one it
	// was checked against.
	refused *refusedTransfer
	// next is when the zone is due, checked when it was last checked.
	next, checked time.Time
	// failing is since when refreshes fail (zero: they do not), logged
	// when that was last logged.
	failing, logged time.Time
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
			// Due now, but a stream of NOTIFY messages costs the
			// primary one SOA query a tick.
			for name := range n.takeChanged(&n.notified) {
				if z := zones[name]; z != nil {
					z.next = z.checked.Add(secondaryTick)
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
		z.checked = time.Now()
		z.next = z.checked.Add(n.refreshSecondary(ctx, name, z))
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

// newerSerial reports whether serial a is after b (RFC 1982).
func newerSerial(a, b uint32) bool { return a != b && int32(a-b) > 0 }

// refusedTransfer is a transfer whose records the rules refuse: the
// serial is not transferred again.
type refusedTransfer struct {
	serial uint32
	// document is the revision of the document the records were checked
	// against: another may take them.
	document int64
	err      error
}

func (e *refusedTransfer) Error() string { return e.err.Error() }
func (e *refusedTransfer) Unwrap() error { return e.err }

// storeFailure is a transfer that could not be written: the other
// servers would fare no better.
type storeFailure struct{ err error }

func (e *storeFailure) Error() string { return e.err.Error() }
func (e *storeFailure) Unwrap() error { return e.err }

// refreshSecondary asks the zone's primary servers, in order, for the
// SOA, and transfers the zone from the first that answers when its
// serial is new. It returns when the zone is due again: the refresh
// after an answer, or the retry (the refresh or 10 s, whichever is
// shorter) after none.
func (n *Node) refreshSecondary(ctx context.Context, zone string, z *secondaryZone) time.Duration {
	s := n.liveStore.Load()
	if s == nil || s.State().Traffic == nil {
		// The store has not been read yet: nothing to check against.
		return secondaryTick
	}
	p := &z.primary
	var errs []error
	failed := func() time.Duration {
		if ctx.Err() == nil {
			n.secondaryFailed(zone, z, errors.Join(errs...))
		}
		return min(p.RefreshAfter(0), config.MinPrimaryRefresh)
	}
	for _, server := range p.Servers {
		soa, err := n.primarySOA(ctx, zone, server, p.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", server, err))
			continue
		}
		refresh := p.RefreshAfter(soa.Refresh)
		if (z.transferred && !newerSerial(soa.Serial, z.serial)) || (z.refused != nil && soa.Serial == z.refused.serial && s.State().TrafficRevision == z.refused.document) {
			// Nothing newer, or a serial already refused by this
			// document (logged then).
			n.secondaryRecovered(zone, z)
			return refresh
		}
		start := time.Now()
		serial, rrsets, rev, err := n.transferIn(ctx, s, zone, server, p)
		var refused *refusedTransfer
		var store *storeFailure
		switch {
		case errors.As(err, &refused):
			z.refused = refused
			n.secondaryRecovered(zone, z)
			n.log.Warn("a secondary zone's transfer refused; still serving the records last transferred", "zone", zone, "primary", server, "serial", refused.serial, "err", err)
			return refresh
		case errors.As(err, &store):
			// The other servers would fare no better.
			errs = append(errs, fmt.Errorf("%s: %w", server, err))
			return failed()
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: transferring: %w", server, err))
			continue
		}
		z.serial, z.transferred = serial, true
		n.secondaryRecovered(zone, z)
		n.log.Info("zone transferred from its primary", "zone", zone, "primary", server, "serial", serial, "rrsets", rrsets, "revision", rev, "took", time.Since(start).Round(time.Millisecond))
		return refresh
	}
	return failed()
}

// secondaryFailed logs a failed refresh: when refreshes start failing,
// then every failureLogEvery while they go on (an unreachable primary's
// error names another local port each time).
func (n *Node) secondaryFailed(zone string, z *secondaryZone, err error) {
	now := time.Now()
	if z.failing.IsZero() {
		z.failing = now
	} else if now.Sub(z.logged) < failureLogEvery {
		return
	}
	z.logged = now
	n.log.Warn("cannot refresh a secondary zone from its primary; still serving the records last transferred", "zone", zone, "failing_since", z.failing.Round(time.Second), "err", err)
}

// secondaryRecovered notes a refresh that reached the primary.
func (n *Node) secondaryRecovered(zone string, z *secondaryZone) {
	if !z.failing.IsZero() {
		n.log.Info("secondary zone's primary reached again", "zone", zone, "failed_for", time.Since(z.failing).Round(time.Second))
		z.failing = time.Time{}
	}
}

// keyOnly signs and verifies with the one key of a zone's primary,
// among the node's keys: an answer signed with another key the node
// holds (an UPDATE key) is not the primary's.
type keyOnly struct {
	name string
	keys dns.TsigProvider
}

func (k keyOnly) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	if dns.CanonicalName(t.Hdr.Name) != k.name {
		return nil, dns.ErrSecret
	}
	return k.keys.Generate(msg, t)
}

func (k keyOnly) Verify(msg []byte, t *dns.TSIG) error {
	if dns.CanonicalName(t.Hdr.Name) != k.name {
		return dns.ErrSecret
	}
	return k.keys.Verify(msg, t)
}

// signedBy signs m with the node's key named key (nothing when "") and
// returns what verifies the answers, or says that the node holds no
// such key.
func (n *Node) signedBy(key string, m *dns.Msg) (dns.TsigProvider, error) {
	if key == "" {
		return nil, nil
	}
	k, ok := n.notifier.byName[key]
	if !ok {
		return nil, fmt.Errorf("the node holds no TSIG key %s (tsig_keys in its file)", key)
	}
	m.SetTsig(k.Name, k.DNSAlgorithm(), 300, time.Now().Unix())
	return keyOnly{name: key, keys: n.notifier.keys}, nil
}

// primarySOA asks server for zone's SOA, signed with key when it is set:
// the answer must then be signed with it too.
func (n *Node) primarySOA(ctx context.Context, zone, server, key string) (*dns.SOA, error) {
	ask := func(network string) (*dns.Msg, error) {
		// A message signed anew each time: miekg/dns takes the TSIG
		// record off the message it signs.
		m := new(dns.Msg).SetQuestion(zone, dns.TypeSOA)
		provider, err := n.signedBy(key, m)
		if err != nil {
			return nil, err
		}
		c := &dns.Client{Net: network, Timeout: soaTimeout, TsigProvider: provider}
		resp, _, err := c.ExchangeContext(ctx, m, server)
		return resp, err
	}
	resp, err := ask("udp")
	if err == nil && resp.Truncated {
		resp, err = ask("tcp")
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("asking the SOA: %w", err)
	case key != "" && resp.IsTsig() == nil:
		// miekg/dns verifies a signature that is there only.
		return nil, fmt.Errorf("asking the SOA: the answer is not signed with %s", key)
	case resp.Rcode != dns.RcodeSuccess:
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
// zone's, checked as the zones API checks a master file. It returns the
// serial transferred (its first SOA's), how many RRsets the zone has and
// the store's revision. Its error is a *refusedTransfer when the rules
// refuse the records, a *storeFailure when they cannot be written.
func (n *Node) transferIn(ctx context.Context, s *cluster.Store, zone, server string, p *config.ZonePrimary) (uint32, int, int64, error) {
	doc, err := documentZone(s.State(), zone)
	if err != nil {
		return 0, 0, 0, &storeFailure{err: err}
	}
	m := new(dns.Msg)
	m.SetAxfr(zone)
	provider, err := n.signedBy(p.Key, m)
	if err != nil {
		return 0, 0, 0, err
	}
	tr := &dns.Transfer{ReadTimeout: xfrReadTimeout, TsigProvider: provider}
	envelopes, err := tr.In(m, server)
	if err != nil {
		if tr.Conn != nil {
			// Dialed, then the request could not be written.
			_ = tr.Close()
		}
		return 0, 0, 0, err
	}
	// The records stream into the zone file reader as they come: a zone
	// of a million is not held as text. Past the transfer's time, at a
	// node's shutdown or when the reader stops early, the connection is
	// closed, so the transfer's goroutines end with this call.
	r, w := io.Pipe()
	done := make(chan transferred, 1)
	go writeTransfer(envelopes, w, done)
	tctx, cancel := context.WithTimeout(ctx, xfrTimeout)
	defer cancel()
	stop := context.AfterFunc(tctx, func() {
		r.CloseWithError(&transferError{fmt.Sprintf("transfer stopped: %v", context.Cause(tctx))})
	})
	zf, err := readZoneFile(r, "transfer from "+server, zone, doc.DefaultTTL())
	stop()
	r.CloseWithError(&transferError{"transfer read"})
	if tr.Conn != nil {
		_ = tr.Close()
	}
	res := <-done
	var broken *transferError
	switch {
	case errors.As(err, &broken):
		return 0, 0, 0, err
	case err != nil && tctx.Err() != nil:
		// Stopped (the time was up, or the node stops): the reader saw
		// its end of the pipe closed, not why.
		return 0, 0, 0, &transferError{fmt.Sprintf("transfer stopped: %v", context.Cause(tctx))}
	case err != nil:
		// What came does not read as the zone's records.
		return 0, 0, 0, &refusedTransfer{serial: res.serial, document: s.State().TrafficRevision, err: err}
	}
	// Before writing: still this primary's secondary. (A node that
	// writes an older serial after another wrote a newer one takes the
	// newer at its next refresh.)
	st := s.State()
	if z, err := documentZone(st, zone); err != nil || z.Primary == nil || !samePrimary(*z.Primary, *p) {
		return 0, 0, 0, &storeFailure{err: errors.New("the zone's primary changed during the transfer")}
	}
	if err := validateZoneRecords(st.Traffic, zone, zf.sets, nil); err != nil {
		return 0, 0, 0, &refusedTransfer{serial: res.serial, document: st.TrafficRevision, err: err}
	}
	wctx, wcancel := context.WithTimeout(ctx, zoneWriteTimeout)
	defer wcancel()
	rev, err := s.ReplaceZone(wctx, zone, zf.sets)
	if err != nil {
		return 0, 0, 0, &storeFailure{err: err}
	}
	return res.serial, len(zf.sets), rev, nil
}

// transferred is what writeTransfer saw of a transfer: serial is its
// first SOA's.
type transferred struct{ serial uint32 }

// transferError is a transfer that did not come whole: cut short, or
// stopped. It wraps nothing, so that an io.EOF it was made from never
// reads as the end of the zone.
type transferError struct{ msg string }

func (e *transferError) Error() string { return e.msg }

// writeTransfer writes the records of a transfer to w as a master file,
// but for the types a secondary of gtmd does not take (primaryOnly). A
// transfer that ends without its closing SOA (the connection closed, a
// message that does not verify) closes w with a *transferError, so the
// reader never takes part of a zone for all of it; one larger than the
// zones API takes closes it with another error. It reads envelopes to their end,
// so the transfer's goroutine ends too, then reports on done.
func writeTransfer(envelopes chan *dns.Envelope, w *io.PipeWriter, done chan<- transferred) {
	bw := bufio.NewWriter(w)
	var res transferred
	var err error
	size, first := 0, true
	for e := range envelopes {
		if err != nil {
			continue
		}
		if e.Error != nil {
			err = &transferError{fmt.Sprintf("transfer cut short: %v", e.Error)}
			continue
		}
		for _, rr := range e.RR {
			if first {
				if soa, ok := rr.(*dns.SOA); ok {
					res.serial = soa.Serial
				}
				first = false
			}
			if primaryOnly(rr.Header().Rrtype) {
				continue
			}
			line := rr.String() + "\n"
			if size += len(line); size > admin.MaxZoneFileBytes {
				err = fmt.Errorf("the zone is larger than %d bytes as a master file, the most a zone takes", admin.MaxZoneFileBytes)
				break
			}
			if _, err = bw.WriteString(line); err != nil {
				break
			}
		}
	}
	if err == nil {
		// miekg/dns closes the envelopes without an error only after the
		// closing SOA.
		err = bw.Flush()
	}
	w.CloseWithError(err)
	done <- res
}

// primaryOnly reports whether records of rrtype stay the primary's: its
// DNSSEC records, which sign or prove its own copy of the zone, and
// BIND's private signing state (TYPE65534).
func primaryOnly(rrtype uint16) bool {
	switch rrtype {
	case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeDNSKEY, dns.TypeCDS, dns.TypeCDNSKEY, dns.TypeZONEMD, 65534:
		return true
	}
	return false
}
