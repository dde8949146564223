//go:build !unix

package main

// raiseFileLimit has no descriptor limit to raise here.
func raiseFileLimit() (soft, hard uint64, err error) { return 0, 0, nil }
