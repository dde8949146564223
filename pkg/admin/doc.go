// Package admin is gtmd's admin HTTP API: health and readiness probes,
// Prometheus metrics, and the /v1 operator calls. It decides nothing about
// answers itself; it reads and changes the node through the interfaces it
// is given.
package admin
