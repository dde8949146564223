package admin

import (
	"context"
	"net/http"
	"strings"
)

// errNoDNSSEC is the message of the /v1/dnssec calls on a node whose
// Backend does not implement DNSSECBackend.
const errNoDNSSEC = "DNSSEC is not available on this node: its backend does not sign zones"

func (s *server) getDNSSECDS(w http.ResponseWriter, r *http.Request) {
	d, zone, ok := s.dnssecCall(w, r)
	if !ok {
		return
	}
	ds, err := d.DNSSECDS(r.Context(), zone)
	if err != nil {
		s.fail(w, r, "DS records of zone "+zone, err)
		return
	}
	// Ready to paste into the parent's zone file: one record a line, the
	// last ended too.
	if ds != "" && !strings.HasSuffix(ds, "\n") {
		ds += "\n"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(ds))
}

func (s *server) getDNSSEC(w http.ResponseWriter, r *http.Request) {
	s.dnssecStatus(w, r, "DNSSEC status of zone ", DNSSECBackend.DNSSECStatus)
}

func (s *server) postDNSSECRollover(w http.ResponseWriter, r *http.Request) {
	s.dnssecStatus(w, r, "key rollover of zone ", DNSSECBackend.DNSSECRollover)
}

func (s *server) postDNSSECSubmitted(w http.ResponseWriter, r *http.Request) {
	s.dnssecStatus(w, r, "DS submitted for zone ", DNSSECBackend.DNSSECSubmitted)
}

// dnssecStatus answers a call that returns the zone's status; what
// prefixes the zone in the message of a failure.
func (s *server) dnssecStatus(w http.ResponseWriter, r *http.Request, what string,
	call func(DNSSECBackend, context.Context, string) (*DNSSECStatus, error)) {
	d, zone, ok := s.dnssecCall(w, r)
	if !ok {
		return
	}
	st, err := call(d, r.Context(), zone)
	if err != nil {
		s.fail(w, r, what+zone, err)
		return
	}
	if st.Keys == nil {
		st.Keys = []DNSSECKeyStatus{}
	}
	writeJSON(w, http.StatusOK, st)
}

// dnssecCall returns the backend's DNSSEC part and the {zone} of the
// path as a lower-case FQDN, answering 501 or 400 itself.
func (s *server) dnssecCall(w http.ResponseWriter, r *http.Request) (DNSSECBackend, string, bool) {
	if s.dnssec == nil {
		writeError(w, http.StatusNotImplemented, errNoDNSSEC)
		return nil, "", false
	}
	zone, ok := pathZone(w, r, "the path needs a zone: /v1/dnssec/{zone}")
	return s.dnssec, zone, ok
}
