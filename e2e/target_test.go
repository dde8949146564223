package e2e

import "github.com/gtmd/gtmd/internal/regiontarget"

// healthURL is what a region's health check asks of its target.
func healthURL(t *regiontarget.Target) string { return "http://" + t.Addr() + "/healthz" }
