// Package config holds gtmd's two documents: the node file, local to one
// node, and the traffic document, shared by every node of a cluster. It
// parses both from YAML (or JSON, which is YAML), fills defaults and
// validates them, reporting every fault with the file, line, column and
// field at fault.
//
// It is the ground every other package stands on: it imports no other gtmd
// package, performs no network I/O and keeps no state between calls.
package config
