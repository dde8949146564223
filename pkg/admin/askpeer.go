package admin

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// askPeer sends GET pathQuery to the member whose admin URL is adminURL,
// if it is a peer (see Peers), with the caller's credentials, and decodes
// its JSON answer into out. A member entry anyone with access to the
// store could have written is sent nothing: the error says why it was not
// asked, or what failed, and carries the PeerStatus it counts as (see
// peerStatusOf); what names the answer expected.
func (s *server) askPeer(ctx context.Context, adminURL, pathQuery, auth, what string, out any) error {
	if adminURL == "" {
		return peerErr(PeerNotAsked, errors.New("not asked: the member publishes no admin address"))
	}
	base, err := peerOrigin(adminURL)
	if err != nil {
		return peerErr(PeerNotAsked, errors.New("not asked: its admin address "+err.Error()))
	}
	if s.peers == nil {
		return peerErr(PeerNotAsked, fmt.Errorf("not asked: %s is %v", adminURL, errNotPeer))
	}
	// The request goes to the origin that was checked, not to the text
	// the member wrote.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+pathQuery, nil)
	if err != nil {
		return err
	}
	if err := s.peers.admit(req.URL); err != nil {
		return peerErr(PeerNotAsked, fmt.Errorf("not asked: %s is %v", adminURL, err))
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", mediaJSON)
	resp, err := s.client.Do(req)
	if err != nil {
		if cve := (*tls.CertificateVerificationError)(nil); errors.As(err, &cve) {
			return peerErr(PeerNotAsked, fmt.Errorf("not asked: the certificate of %s does not verify against admin.peer_ca: %v", adminURL, cve.Err))
		}
		return unreachable(err)
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 {
		return peerErr(PeerFailed, fmt.Errorf("%s to %q: not followed, as the token goes to admin.peers only", resp.Status, loc))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBody))
	if err != nil {
		return unreachable(fmt.Errorf("reading the answer: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		msg := resp.Status
		var e ErrorBody
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg += ": " + e.Error
		}
		return refusedBy(resp.StatusCode, msg)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return peerErr(PeerFailed, fmt.Errorf("the answer is not %s: %v", what, err))
	}
	return nil
}

// answeredAs checks that the peer at adminURL, asked as node want,
// answered as that node (got, from its answer; empty: not said). Members
// that publish a loopback admin address all point at whichever node the
// caller runs next to.
func answeredAs(adminURL, want, got string) error {
	if got != "" && got != want {
		return peerErr(PeerFailed, fmt.Errorf("%s answered as node %q: the member's admin address does not reach it from here", adminURL, got))
	}
	return nil
}
