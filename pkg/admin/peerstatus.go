package admin

import (
	"errors"
	"fmt"
	"net/http"
)

// PeerStatus says whether a node asked through ?all_nodes=1 gave its
// answer and, when it did not, why: a node that was down or refused the
// caller's token says nothing about what the nodes answer, so only the
// nodes that answered are compared.
type PeerStatus string

// The statuses of a node asked through ?all_nodes=1.
const (
	// PeerAnswered: the node gave its answer.
	PeerAnswered PeerStatus = "answered"
	// PeerUnreachable: no answer came: the connection was refused or
	// reset, or the node did not answer in time.
	PeerUnreachable PeerStatus = "unreachable"
	// PeerUnauthorized: the node refused the caller's token (401 or 403).
	PeerUnauthorized PeerStatus = "unauthorized"
	// PeerNotAsked: the node was not sent the question: it publishes no
	// admin address, or that address is no peer (admin.peers,
	// admin.peer_ca).
	PeerNotAsked PeerStatus = "not_asked"
	// PeerFailed: the node answered, but with an error or with something
	// other than its own answer.
	PeerFailed PeerStatus = "failed"
)

// peerError is why a peer gave no answer, with the status it counts as.
type peerError struct {
	status PeerStatus
	err    error
}

func (e *peerError) Error() string { return e.err.Error() }
func (e *peerError) Unwrap() error { return e.err }

// peerErr classifies err as status; the message is kept as it is.
func peerErr(status PeerStatus, err error) error {
	return &peerError{status: status, err: err}
}

// unreachable is a transport failure: the message says so first.
func unreachable(err error) error {
	return peerErr(PeerUnreachable, fmt.Errorf("unreachable: %w", err))
}

// refusedBy classifies a peer's non-200 answer whose message is msg.
func refusedBy(code int, msg string) error {
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		return peerErr(PeerUnauthorized, errors.New("unauthorized: "+msg))
	}
	return peerErr(PeerFailed, errors.New(msg))
}

// peerStatusOf is the status that err, from askPeer or answeredAs, counts
// as; nil is PeerAnswered.
func peerStatusOf(err error) PeerStatus {
	if err == nil {
		return PeerAnswered
	}
	if pe := (*peerError)(nil); errors.As(err, &pe) {
		return pe.status
	}
	return PeerFailed
}
