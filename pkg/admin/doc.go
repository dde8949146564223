// Package admin is gtmd's admin HTTP API: health and readiness probes,
// Prometheus metrics, and the /v1 operator calls: the traffic
// document with ETag and If-Match, health, overrides, external check
// status, members, explain (on this node or on every member), a stream
// of events, and a signed zone's DS records, key status and rollover
// (through a Backend that also implements DNSSECBackend).
//
// It decides nothing about answers itself: it parses and checks requests,
// authenticates them against a tokens file, and reads and changes the node
// through the Backend it is given. Routes lists every call; the OpenAPI
// document api/openapi.yaml is tested to list the same ones.
//
// It must never log a token or a request's headers, and never answer a
// refused request without a JSON body saying why.
package admin
