package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/miekg/dns"
)

// ZonesBackend is the part of a Backend that keeps the zones' static
// records apart from the traffic document (GET and PUT
// /v1/zones/{zone}/records). A Backend without it answers those calls
// 501.
type ZonesBackend interface {
	// PutZoneRecords makes the records of the master file read from body
	// all of zone's static records (the document's included; the file's
	// SOA and apex NS are ignored), atomically, and returns the revision
	// that stored them. A fault in the file is a *config.ValidationError
	// naming its line, and nothing changes; ErrNotFound when the
	// document has no such zone.
	PutZoneRecords(ctx context.Context, zone string, body io.Reader) (int64, int, error)
	// ZoneRecords writes zone as a master file: its SOA, apex NS and
	// static records; ErrNotFound when the document has no such zone.
	ZoneRecords(ctx context.Context, zone string, w io.Writer) error
}

// mediaDNS is the media type of a DNS master file (RFC 4027).
const mediaDNS = "text/dns"

// MaxZoneFileBytes is the default bound of the master file PUT
// /v1/zones/{zone}/records takes (Options.MaxZoneFileBytes): about ten
// million records of a common size.
const MaxZoneFileBytes = 1 << 30

// ZoneCallTimeout is how long a call of /v1/zones/{zone}/records may
// read and write, in place of the admin API's read and write timeouts
// (admin.limits): a million records take minutes to send, check and
// store. Only a caller with a token gets this far.
const ZoneCallTimeout = 20 * time.Minute

// longCall gives the call ZoneCallTimeout to read its body and write
// its answer.
func longCall(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(ZoneCallTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}

// ZoneRecordsResult is the answer to PUT /v1/zones/{zone}/records.
type ZoneRecordsResult struct {
	Zone     string `json:"zone"`
	Revision int64  `json:"revision"`
	// RRsets is how many RRsets (owner name and type) the zone now holds.
	RRsets int `json:"rrsets"`
}

func (s *server) putZoneRecords(w http.ResponseWriter, r *http.Request) {
	zb, zone, ok := s.zonesCall(w, r)
	if !ok {
		return
	}
	tooLarge := fmt.Sprintf("the zone file is larger than the limit of %d bytes", s.maxZone)
	if r.ContentLength > s.maxZone {
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != mediaDNS {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("send the zone as a master file, Content-Type %s, not %q", mediaDNS, ct))
		return
	}
	longCall(w)
	body := http.MaxBytesReader(w, r.Body, s.maxZone)
	rev, sets, err := zb.PutZoneRecords(r.Context(), zone, body)
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	}
	if err != nil {
		s.fail(w, r, "records of zone "+zone, err)
		return
	}
	setRevision(w.Header(), rev)
	writeJSON(w, http.StatusOK, ZoneRecordsResult{Zone: zone, Revision: rev, RRsets: sets})
}

func (s *server) getZoneRecords(w http.ResponseWriter, r *http.Request) {
	zb, zone, ok := s.zonesCall(w, r)
	if !ok {
		return
	}
	longCall(w)
	pw := &pendingWriter{w: w}
	if err := zb.ZoneRecords(r.Context(), zone, pw); err != nil && !pw.started {
		s.fail(w, r, "records of zone "+zone, err)
	}
}

// pendingWriter sets the master file's headers on the first write, so a
// failure before it still answers with an error status.
type pendingWriter struct {
	w       http.ResponseWriter
	started bool
}

func (p *pendingWriter) Write(b []byte) (int, error) {
	if !p.started {
		p.started = true
		p.w.Header().Set("Content-Type", mediaDNS+"; charset=utf-8")
		p.w.Header().Set("X-Content-Type-Options", "nosniff")
	}
	return p.w.Write(b)
}

// zonesCall returns the backend's zones part and the {zone} of the path
// as a lower-case FQDN, answering 501 or 400 itself.
func (s *server) zonesCall(w http.ResponseWriter, r *http.Request) (ZonesBackend, string, bool) {
	if s.zones == nil {
		writeError(w, http.StatusNotImplemented, "zone records are not available on this node: its backend does not keep them")
		return nil, "", false
	}
	zone, ok := pathZone(w, r, "")
	return s.zones, zone, ok
}

// pathZone is the {zone} of the path as a lower-case FQDN; it answers 400
// itself for a path without one (saying empty, or that it is not a
// domain name when empty is "") or with one that is not a domain name.
func pathZone(w http.ResponseWriter, r *http.Request, empty string) (string, bool) {
	raw := r.PathValue("zone")
	zone := ServiceName(raw)
	notName := fmt.Sprintf("zone %q is not a domain name", raw)
	if zone == "" || zone == "." {
		writeError(w, http.StatusBadRequest, cmp.Or(empty, notName))
		return "", false
	}
	if _, ok := dns.IsDomainName(zone); !ok {
		writeError(w, http.StatusBadRequest, notName)
		return "", false
	}
	return zone, true
}
