// Package geo owns client location for gtmd: it opens MaxMind GeoIP2 and
// GeoLite2 City or Country databases and their DB-IP lite equivalents (plus an
// optional ASN database) with github.com/oschwald/geoip2-golang/v2, answers where an address is, caches those answers
// per /24 and /56 without allocating, swaps databases while queries run, and
// carries the facts gtmd needs when a database does not say: every ISO 3166-1
// country's continent and centroid, great-circle distance, and the client
// subnet to locate for EDNS Client Subnet.
//
// It is the only package in gtmd that reads mmdb files. It never decides
// anything: it knows nothing of policies, endpoints, health or DNS messages,
// never logs, and never fails a query — an address it cannot place is an
// unknown Location, not an error. It holds no package-level mutable state: its country table
// is read-only, and every open database belongs to a value the caller holds.
//
// Callers depend on the Locator interface. Production code builds a Provider
// (cached, reloadable); tests may use a Database directly, or databases written
// by package github.com/gtmd/gtmd/geo/testdb.
package geo

//go:generate go run ./testdb/cmd/gentestdb -out testdata
