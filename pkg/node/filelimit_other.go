//go:build !unix

package node

// fileLimit is the soft limit of open descriptors; 0: not known here.
func fileLimit() uint64 { return 0 }
