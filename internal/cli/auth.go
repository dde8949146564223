package cli

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gtmd/gtmd/pkg/client"
)

// authError is a 401 told in the CLI's terms: the node speaks of
// Authorization headers, but an operator gives a token file.
type authError struct {
	msg string
	err error
}

func (e *authError) Error() string { return e.msg }
func (e *authError) Unwrap() error { return e.err }

// explainAuth turns a refusal for want of a (good) token into what to do
// about it, naming --token-file and the environment variable; any other
// error passes unchanged.
func explainAuth(err error, tokenFile string) error {
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		return err
	}
	if tokenFile == "" {
		return &authError{err: err, msg: fmt.Sprintf("this node wants a token: give the file that holds one with --token-file FILE or %s=FILE", EnvTokenFile)}
	}
	return &authError{err: err, msg: fmt.Sprintf("%s (the token read from %s, named by --token-file or %s)", ae.Message, tokenFile, EnvTokenFile)}
}
