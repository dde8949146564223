package cluster

import "strings"

// Key layout below the prefix; see the package documentation.
const (
	keyTraffic      = "traffic"
	dirMembers      = "members/"
	dirObservations = "observations/"
	dirOverrides    = "overrides/"
	dirExternal     = "external/"
	// dirRegions holds the region-wide overrides, one key a region.
	dirRegions = "regions/"
	// dirAudit holds the audit trail (auditlog.go); the state's watch
	// passes it by.
	dirAudit   = "audit/"
	dirDetails = "details/"
	// dirDNSSEC holds each zone's DNSSEC key set (keysets.go).
	dirDNSSEC = "dnssec/"
	// dirZones holds the zones' static records (zones.go).
	dirZones = "zones/"
	// keyCookieSecret holds the cluster's DNS cookie secrets
	// (cookiesecret.go); the state's watch passes it by.
	keyCookieSecret = "cookie-secret"
)

// keys builds the keys of one prefix.
type keys struct{ prefix string }

func (k keys) traffic() string           { return k.prefix + keyTraffic }
func (k keys) member(node string) string { return k.prefix + dirMembers + node }
func (k keys) observations(node string) string {
	return k.prefix + dirObservations + node + "/"
}
func (k keys) observation(node, check string) string {
	return k.observations(node) + check
}
func (k keys) override(service, endpoint string) string {
	return k.prefix + dirOverrides + service + "/" + endpoint
}
func (k keys) external(check string) string { return k.prefix + dirExternal + check }
func (k keys) region(name string) string    { return k.prefix + dirRegions + name }
func (k keys) auditDir() string             { return k.prefix + dirAudit }
func (k keys) details(node string) string   { return k.prefix + dirDetails + node }
func (k keys) cookieSecret() string         { return k.prefix + keyCookieSecret }
func (k keys) keySet(zone string) string    { return k.prefix + dirDNSSEC + zone }

// split returns the directory and the rest of a key below the prefix.
func (k keys) split(key string) (dir, rest string, ok bool) {
	rel, ok := strings.CutPrefix(key, k.prefix)
	if !ok {
		return "", "", false
	}
	if rel == keyTraffic {
		return keyTraffic, "", true
	}
	for _, d := range []string{dirMembers, dirObservations, dirOverrides, dirRegions, dirExternal, dirDetails, dirDNSSEC, dirZones} {
		if r, ok := strings.CutPrefix(rel, d); ok {
			return d, r, true
		}
	}
	return "", "", false
}
