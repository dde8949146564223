package cli

import (
	"errors"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/client"
	"github.com/gtmd/gtmd/pkg/config"
)

// refusal is a document refused, here or by the node, as -o json prints
// it: the API's own error body, so that a script reads one shape whether
// the CLI or the node found the faults.
func refusal(msg string, err error) admin.ErrorBody {
	body := admin.ErrorBody{Error: msg}
	var ve *config.ValidationError
	var ae *client.APIError
	switch {
	case errors.As(err, &ve):
		body.Faults = ve.Faults
	case errors.As(err, &ae):
		body.Error, body.Faults, body.Revision = ae.Message, ae.Faults, ae.Revision
	default:
		// Not a document's fault (the file cannot be read, say): one
		// fault that says what went wrong.
		body.Faults = []config.Fault{{Message: err.Error()}}
	}
	return body
}

// refusedJSON prints a refusal with -o json and returns the error the
// command fails with (exit 1): err itself without -o json; with it, msg
// alone, since the faults are already on stdout and a script reading
// both streams should not get them twice.
func (r *run) refusedJSON(msg string, err error) error {
	if r.output != "json" {
		return err
	}
	if werr := r.writeJSON(refusal(msg, err)); werr != nil {
		return werr
	}
	return errors.New(msg + " (the faults are in the JSON on stdout)")
}
