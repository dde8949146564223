package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"

	"github.com/miekg/dns"
)

// The node file's tsig_keys: the shared secrets that authenticate zone
// transfers, the SOA queries of secondaries and the NOTIFY messages sent
// to them (RFC 8945). Every node of a cluster holds the same keys, so a
// secondary may transfer from any of them; the traffic document names a
// key only by its name, so a secret never reaches the store.

// TSIG algorithms a key may use, in the names RFC 8945 gives them.
const (
	TSIGHMACSHA256 = "hmac-sha256"
	TSIGHMACSHA512 = "hmac-sha512"
	TSIGHMACSHA1   = "hmac-sha1"
)

// MinTSIGSecretBytes is the shortest secret taken: RFC 8945 §6 asks for
// keys no shorter than half the HMAC's output, and 16 bytes is the
// floor below which a key can be guessed offline from one signed
// message.
const MinTSIGSecretBytes = 16

// TSIGKey is one shared TSIG key.
type TSIGKey struct {
	// Name is the key's name, a fully qualified domain name in lower
	// case once validated (xfr-key.).
	Name string `yaml:"name" json:"name"`
	// Algorithm is one of the TSIG* constants; empty means hmac-sha256.
	Algorithm string `yaml:"algorithm" json:"algorithm"`
	// Secret is the key in base64, as tsig-keygen and keymgr print it.
	Secret string `yaml:"secret" json:"secret"`
}

// String names the key and its algorithm and never shows the secret, so
// a key printed by mistake gives nothing away.
func (k TSIGKey) String() string { return k.Name + " (" + k.Algorithm + ")" }

// LogValue keeps the secret out of logs as String keeps it out of text.
func (k TSIGKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", k.Name), slog.String("algorithm", k.Algorithm))
}

// DNSAlgorithm is the key's algorithm as miekg/dns names it in a TSIG
// record (hmac-sha256.).
func (k TSIGKey) DNSAlgorithm() string {
	switch k.Algorithm {
	case TSIGHMACSHA512:
		return dns.HmacSHA512
	case TSIGHMACSHA1:
		return dns.HmacSHA1
	}
	return dns.HmacSHA256
}

// validateTSIG normalizes the keys and records their faults; a fault
// never quotes a secret.
func (n *Node) validateTSIG(l *faultList) {
	seen := map[string]int{}
	for i := range n.TSIGKeys {
		k := &n.TSIGKeys[i]
		path := fmt.Sprintf("tsig_keys[%d]", i)
		if name, ok := validateName(path+".name", k.Name, l); ok {
			k.Name = name
			if prev, dup := seen[name]; dup {
				l.addf(path+".name", "key %s is already defined at tsig_keys[%d]", name, prev)
			}
			seen[name] = i
		}
		k.Algorithm = strings.ToLower(strings.TrimSuffix(k.Algorithm, "."))
		switch k.Algorithm {
		case "":
			k.Algorithm = TSIGHMACSHA256
		case TSIGHMACSHA256, TSIGHMACSHA512, TSIGHMACSHA1:
		default:
			l.addf(path+".algorithm", "%q is not one of %s, %s, %s", k.Algorithm, TSIGHMACSHA256, TSIGHMACSHA512, TSIGHMACSHA1)
		}
		raw, err := base64.StdEncoding.DecodeString(k.Secret)
		switch {
		case k.Secret == "":
			l.addf(path+".secret", "is required (base64, e.g. from `openssl rand -base64 32`)")
		case err != nil:
			l.addf(path+".secret", "is not valid base64")
		case len(raw) < MinTSIGSecretBytes:
			l.addf(path+".secret", "is %d bytes long; a TSIG secret needs at least %d", len(raw), MinTSIGSecretBytes)
		}
	}
}
