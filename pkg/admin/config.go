package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gtmd/gtmd/pkg/config"
)

// Change statuses of PUT /v1/config, as Route 53 names them.
const (
	StatusInSync  = "INSYNC"
	StatusPending = "PENDING"
)

// ApplyResult is the answer to PUT /v1/config.
type ApplyResult struct {
	// Revision is the store revision of the new document; the SOA serial
	// derives from it.
	Revision int64 `json:"revision"`
	// Status is INSYNC when every live member serves Revision, PENDING
	// otherwise.
	Status string `json:"status"`
	InSync bool   `json:"in_sync"`
	// Unchanged says the document was the one stored: nothing was
	// written and Revision is the stored one.
	Unchanged bool `json:"unchanged,omitempty"`
	// Members is every live member's revision, when known.
	Members []MemberSync `json:"members,omitempty"`
	// NotInSync lists the members that do not serve Revision yet.
	NotInSync []string `json:"not_in_sync,omitempty"`
	// Waited is how long ?wait=insync waited, when it was asked.
	Waited string `json:"waited,omitempty"`
}

// DryRunResult is the answer to PUT /v1/config?dry_run=1 with a valid
// document.
type DryRunResult struct {
	Valid  bool `json:"valid"`
	DryRun bool `json:"dry_run"`
	// Revision is the stored revision, unchanged.
	Revision int64 `json:"revision"`
	Zones    int   `json:"zones"`
	Services int   `json:"services"`
	Checks   int   `json:"checks"`
}

// Media types of traffic documents.
const (
	mediaJSON = "application/json"
	mediaYAML = "application/yaml"
)

var yamlTypes = []string{"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}

func (s *server) getConfig(w http.ResponseWriter, r *http.Request) {
	doc, rev, err := s.backend.Config(r.Context())
	if err != nil {
		s.fail(w, r, "traffic document", err)
		return
	}
	setRevision(w.Header(), rev)
	w.Header().Add("Vary", "Accept")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if n, err := parseRevisionTag(inm); err == nil && n == rev {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if negotiateYAML(r.Header.Values("Accept")) {
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			s.fail(w, r, "encoding the document as YAML", err)
			return
		}
		_ = enc.Close()
		w.Header().Set("Content-Type", mediaYAML)
		_, _ = w.Write(b.Bytes())
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

func (s *server) putConfig(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != mediaJSON && !isYAML(mt)) {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("send the traffic document as application/yaml or application/json, not %q", ct))
		return
	}
	q := r.URL.Query()
	dryRun, err := boolParam(q, "dry_run")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	wait := false
	switch v := q.Get("wait"); {
	case v == "":
	case strings.EqualFold(v, "insync"):
		wait = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("wait=%q: the only wait is insync", v))
		return
	}
	waitFor := s.wait
	if v := q.Get("wait_timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > MaxWaitTimeout {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("wait_timeout=%q: want a duration such as 30s, at most %s", v, MaxWaitTimeout))
			return
		}
		waitFor = d
	}
	if wait && dryRun {
		writeError(w, http.StatusBadRequest, "a dry run stores nothing to wait for: drop wait=insync or dry_run")
		return
	}
	if wait {
		// The server's write timeout runs from the request's arrival, and
		// the wait may be longer (up to MaxWaitTimeout): the answer gets
		// the write timeout again after the longest wait it may take.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(waitFor + s.writeTimeout))
	}
	var ifRev int64
	if im := r.Header.Get("If-Match"); im != "" {
		if ifRev, err = parseRevisionTag(im); err != nil {
			writeError(w, http.StatusBadRequest, "If-Match: "+err.Error())
			return
		}
	}

	body, ok := s.readDocument(w, r)
	if !ok {
		return
	}
	doc, err := config.ParseTraffic("request body", body, "")
	if err != nil {
		s.fail(w, r, "", err)
		return
	}
	// What is stored is the normalized document with its zone files
	// merged, larger than the body or smaller: a dry run says valid only
	// if the store would take it.
	if _, err := config.EncodeStored(doc); err != nil {
		s.refuseDocument(w, r, err)
		return
	}
	rev, err := s.backend.ApplyConfig(r.Context(), doc, ifRev, dryRun)
	unchanged := errors.Is(err, ErrUnchanged)
	if unchanged {
		err = nil
	}
	if errors.Is(err, ErrRevisionMismatch) {
		s.preconditionFailed(w, r, ifRev)
		return
	}
	var tooLarge *config.DocumentTooLargeError
	if errors.As(err, &tooLarge) {
		s.refuseDocument(w, r, err)
		return
	}
	if err != nil {
		s.fail(w, r, "applying the document", err)
		return
	}
	if dryRun {
		writeJSON(w, http.StatusOK, DryRunResult{Valid: true, DryRun: true, Revision: rev,
			Zones: len(doc.Zones), Services: len(doc.Services), Checks: len(doc.Checks)})
		return
	}
	setRevision(w.Header(), rev)
	res := ApplyResult{Revision: rev, Unchanged: unchanged}
	var members []MemberSync
	if wait {
		start := time.Now()
		members = s.waitInSync(r.Context(), rev, waitFor)
		res.Waited = time.Since(start).Round(time.Millisecond).String()
	} else if members, err = s.backend.InSync(r.Context(), rev); err != nil {
		// The document is stored; only its spread is unknown.
		members = nil
	}
	res.Members = members
	res.InSync = members != nil && allInSync(members)
	res.Status = StatusPending
	if res.InSync {
		res.Status = StatusInSync
	}
	for _, m := range members {
		if !m.InSync {
			res.NotInSync = append(res.NotInSync, m.ID)
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// preconditionFailed answers 412, saying which revision is stored.
func (s *server) preconditionFailed(w http.ResponseWriter, r *http.Request, ifRev int64) {
	_, cur, err := s.backend.Config(r.Context())
	if err != nil {
		writeError(w, http.StatusPreconditionFailed, fmt.Sprintf("If-Match %s: %v", revisionTag(ifRev), ErrRevisionMismatch))
		return
	}
	setRevision(w.Header(), cur)
	writeJSON(w, http.StatusPreconditionFailed, ErrorBody{
		Error:    fmt.Sprintf("If-Match %s: the stored revision is %d; fetch the document again and apply your change to it", revisionTag(ifRev), cur),
		Revision: cur,
	})
}

// waitInSync asks the backend until every live member serves rev or
// timeout passes, and returns the last answer (nil if none came).
func (s *server) waitInSync(ctx context.Context, rev int64, timeout time.Duration) []MemberSync {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []MemberSync
	delay := 25 * time.Millisecond
	for {
		ms, err := s.backend.InSync(ctx, rev)
		if err == nil {
			last = ms
			if allInSync(ms) {
				return ms
			}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return last
		case <-t.C:
		}
		delay = min(2*delay, time.Second)
	}
}

func allInSync(ms []MemberSync) bool {
	for _, m := range ms {
		if !m.InSync {
			return false
		}
	}
	return true
}

// readBody reads a request body of at most s.maxBody bytes, answering 413
// or 400 itself.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	return readLimited(w, r, s.maxBody, fmt.Sprintf("the body is larger than the limit of %d bytes", s.maxBody))
}

// readDocument reads a traffic document's body: at most s.maxBody bytes,
// and no more than the store can hold (config.MaxDocumentBytes), so a
// document is refused before it is parsed when it could never be stored.
func (s *server) readDocument(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if s.maxBody < config.MaxDocumentBytes {
		return s.readBody(w, r)
	}
	return readLimited(w, r, config.MaxDocumentBytes, fmt.Sprintf("the body is larger than the limit of %d bytes of a traffic document: the cluster store (etcd) refuses a write over 1.5 MiB", config.MaxDocumentBytes))
}

// refuseDocument answers a document the store cannot hold with 413,
// saying its size and the limit, and any other failure as fail does.
func (s *server) refuseDocument(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *config.DocumentTooLargeError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge.Error())
		return
	}
	s.fail(w, r, "encoding the document", err)
}

// readLimited reads a request body of at most limit bytes, answering 413
// with tooLarge, or 400, itself.
func readLimited(w http.ResponseWriter, r *http.Request, limit int64, tooLarge string) ([]byte, bool) {
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return nil, false
	}
	return body, true
}

// revisionTag is the ETag of a revision.
func revisionTag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// setRevision names a stored revision in the ETag and X-Gtmd-Revision
// headers.
func setRevision(h http.Header, rev int64) {
	h.Set("ETag", revisionTag(rev))
	h.Set("X-Gtmd-Revision", strconv.FormatInt(rev, 10))
}

// parseRevisionTag reads an If-Match or If-None-Match value: a revision,
// quoted as an ETag or bare, or * for any (0).
func parseRevisionTag(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "*" {
		return 0, nil
	}
	if strings.HasPrefix(v, "W/") {
		return 0, fmt.Errorf("%s is a weak tag; send the revision as ETag gave it, such as \"42\"", v)
	}
	s := v
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s is not a revision; send the ETag of GET /v1/config, such as \"42\"", v)
	}
	return n, nil
}

func isYAML(mt string) bool { return slices.Contains(yamlTypes, mt) }

// negotiateYAML reports whether the Accept headers prefer YAML to JSON.
// JSON is the default: it wins ties, wildcards and unknown types.
func negotiateYAML(accept []string) bool {
	bestYAML, bestJSON := -1.0, -1.0
	posYAML, posJSON := 0, 0
	pos := 0
	for _, h := range accept {
		for part := range strings.SplitSeq(h, ",") {
			pos++
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			qv := 1.0
			if qs, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(qs, 64); err == nil {
					qv = f
				}
			}
			switch {
			case isYAML(mt):
				if qv > bestYAML {
					bestYAML, posYAML = qv, pos
				}
			case mt == mediaJSON || mt == "application/*" || mt == "*/*":
				if mt != mediaJSON {
					// A type named outright beats a wildcard of the same q.
					qv -= 1e-6
				}
				if qv > bestJSON {
					bestJSON, posJSON = qv, pos
				}
			}
		}
	}
	if bestYAML <= 0 {
		return false
	}
	return bestYAML > bestJSON || (bestYAML == bestJSON && posYAML < posJSON)
}

// boolParam reads a query flag: absent is false, present without a value
// is true, else 1/0/true/false.
func boolParam(q map[string][]string, name string) (bool, error) {
	vs, ok := q[name]
	if !ok {
		return false, nil
	}
	v := vs[0]
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want 1 or 0", name, v)
	}
	return b, nil
}
