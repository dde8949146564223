package dnssec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Algorithms gtmd signs with.
const (
	// ECDSAP256SHA256 (13) is the default: small signatures, every
	// validator supports it.
	ECDSAP256SHA256 = dns.ECDSAP256SHA256
	// ED25519 (15) signs faster and its signatures are smaller still, but
	// some older validators treat it as unsupported (insecure).
	ED25519 = dns.ED25519
)

// ParseAlgorithm maps "ecdsap256sha256" or "ed25519" (any case), or their
// numbers "13" and "15", to the algorithm number.
func ParseAlgorithm(s string) (uint8, error) {
	switch t := strings.ToLower(strings.TrimSpace(s)); t {
	case "ecdsap256sha256":
		return ECDSAP256SHA256, nil
	case "ed25519":
		return ED25519, nil
	default:
		if n, err := strconv.ParseUint(t, 10, 8); err == nil && supported(uint8(n)) {
			return uint8(n), nil
		}
	}
	return 0, fmt.Errorf("DNSSEC algorithm %q is not supported: want ecdsap256sha256 (13) or ed25519 (15)", s)
}

// supported reports whether gtmd can make and use keys of algorithm a.
func supported(a uint8) bool { return a == ECDSAP256SHA256 || a == ED25519 }

// AlgorithmName is a's name as the traffic document writes it, or its
// number for one gtmd does not sign with.
func AlgorithmName(a uint8) string {
	switch a {
	case ECDSAP256SHA256:
		return "ecdsap256sha256"
	case ED25519:
		return "ed25519"
	}
	return strconv.Itoa(int(a))
}
