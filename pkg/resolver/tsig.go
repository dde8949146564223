package resolver

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/pkg/config"
)

// TSIGKeys are the node's shared TSIG keys (RFC 8945), by name: the
// listeners verify signed queries with them and sign the answers. A key
// is known only with its own algorithm, so a message that names the key
// with another one is answered BADKEY, as RFC 8945 §5.2.1 asks. A nil
// *TSIGKeys knows no key.
type TSIGKeys struct {
	keys map[string]tsigKey
}

var _ dns.TsigProvider = (*TSIGKeys)(nil)

type tsigKey struct {
	algorithm string // as a TSIG record names it: hmac-sha256.
	secret    []byte
}

// NewTSIGKeys returns the keys of a validated node file; a key whose
// secret does not decode (validation refuses those) is left out.
func NewTSIGKeys(keys []config.TSIGKey) *TSIGKeys {
	t := &TSIGKeys{keys: make(map[string]tsigKey, len(keys))}
	for _, k := range keys {
		secret, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			continue
		}
		t.keys[dns.CanonicalName(k.Name)] = tsigKey{algorithm: k.DNSAlgorithm(), secret: secret}
	}
	return t
}

// Has reports whether the key named name (any case) is known.
func (t *TSIGKeys) Has(name string) bool {
	if t == nil {
		return false
	}
	_, ok := t.keys[dns.CanonicalName(name)]
	return ok
}

// Generate is the MAC of msg under the key rr names; dns.ErrSecret when
// the key, or the key with that algorithm, is unknown.
func (t *TSIGKeys) Generate(msg []byte, rr *dns.TSIG) ([]byte, error) {
	if t == nil {
		return nil, dns.ErrSecret
	}
	k, ok := t.keys[dns.CanonicalName(rr.Hdr.Name)]
	if !ok || !strings.EqualFold(dns.Fqdn(rr.Algorithm), k.algorithm) {
		return nil, dns.ErrSecret
	}
	var h hash.Hash
	switch k.algorithm {
	case dns.HmacSHA512:
		h = hmac.New(sha512.New, k.secret)
	case dns.HmacSHA1:
		h = hmac.New(sha1.New, k.secret)
	default:
		h = hmac.New(sha256.New, k.secret)
	}
	h.Write(msg)
	return h.Sum(nil), nil
}

// Verify checks rr's MAC over msg: dns.ErrSecret for an unknown key,
// dns.ErrSig for a MAC that does not match.
func (t *TSIGKeys) Verify(msg []byte, rr *dns.TSIG) error {
	want, err := t.Generate(msg, rr)
	if err != nil {
		return err
	}
	mac, err := hex.DecodeString(rr.MAC)
	if err != nil || !hmac.Equal(want, mac) {
		return dns.ErrSig
	}
	return nil
}

// tsigState is what a listener's writer knows of the TSIG of the message
// it answers, as miekg/dns's server keeps it: the verdict on the
// request's signature, and the MAC the next signed message chains to
// (the request's, then each answer's, RFC 8945 §5.3.1).
type tsigState struct {
	keys       *TSIGKeys
	status     error
	requestMAC string
	timersOnly bool
}

// TsigStatus is the request's TSIG verdict, as dns.ResponseWriter
// reports it; the writers embed tsigState for it.
func (t *tsigState) TsigStatus() error { return t.status }

// TsigTimersOnly signs the following messages of a multi-message answer
// over the timers only (RFC 8945 §5.3.1); a one-message answer keeps it
// for the interface.
func (t *tsigState) TsigTimersOnly(b bool) { t.timersOnly = b }

// verify judges the signature of req, whose wire form is raw; a request
// without TSIG leaves the status nil.
func (t *tsigState) verify(raw []byte, req *dns.Msg) {
	t.status, t.requestMAC, t.timersOnly = nil, "", false
	rr := req.IsTsig()
	if rr == nil {
		return
	}
	t.status = dns.TsigVerifyWithProvider(raw, t.keys, "", false)
	t.requestMAC = rr.MAC
}

// pack packs m, signing it when it ends with a TSIG record (the handler
// adds one to answer a signed request). An error TSIG (BADKEY, BADSIG)
// goes out unsigned, as RFC 8945 §5.3.2 asks.
func (t *tsigState) pack(m *dns.Msg) ([]byte, error) {
	if m.IsTsig() == nil {
		return m.Pack()
	}
	out, mac, err := dns.TsigGenerateWithProvider(m, t.keys, t.requestMAC, t.timersOnly)
	if err != nil {
		return nil, err
	}
	t.requestMAC = mac
	return out, nil
}
