// Package archtest holds the tests that keep the module's layout: which
// package may depend on which, and that cmd/gtmd stays wiring.
package archtest
