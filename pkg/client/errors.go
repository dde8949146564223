package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/config"
)

// APIError is a refusal from the API: a status other than 2xx, with the
// message the node gave. Callers tell refusals apart by Status
// (http.StatusNotFound for an unknown endpoint or override,
// http.StatusPreconditionFailed for a stale If-Match, ...) through
// errors.As.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the node's reason, or the status line and the URL
	// when the answer was not gtmd's JSON error body.
	Message string
	// Faults lists every fault of a refused traffic document.
	Faults []config.Fault
	// Revision is the stored revision, on a stale If-Match.
	Revision int64
}

// Error returns the message, and every fault of a refused document on
// its own line when there is more than one (one is in the message).
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if len(e.Faults) > 1 {
		for _, f := range e.Faults {
			b.WriteString("\n  ")
			b.WriteString(f.Error())
		}
	}
	return b.String()
}

// newAPIError reads a refusal; an answer that is not gtmd's error body
// (a proxy, another server) is named by its status and where it came
// from.
func newAPIError(resp *http.Response, data []byte, base string) *APIError {
	e := &APIError{Status: resp.StatusCode}
	var eb admin.ErrorBody
	if json.Unmarshal(data, &eb) == nil && eb.Error != "" {
		e.Message, e.Faults, e.Revision = eb.Error, eb.Faults, eb.Revision
	} else {
		e.Message = fmt.Sprintf("%s from %s", resp.Status, base)
	}
	return e
}
