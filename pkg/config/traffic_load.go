package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// LoadTraffic reads a traffic document from path, merges the zone files it
// names (relative to its directory), fills defaults and validates it.
func LoadTraffic(path string) (*Traffic, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading traffic document: %w", err)
	}
	return ParseTraffic(path, src, filepath.Dir(path))
}

// ParseTraffic decodes a traffic document (YAML or JSON), merges its zone
// files, fills defaults, normalizes names (lower case, fully qualified) and
// pinned networks (IPv4 written as IPv4) and validates it. It is the one
// place the document's rules are enforced: policy.Compile and
// resolver.Build trust what it returns. file names the source in faults; baseDir is where relative
// zone_file paths are read from ("" refuses relative ones, for documents
// that arrive over the network). On any fault it returns a
// *ValidationError listing all of them. Whether the store can hold the
// document is EncodeStored's to say.
func ParseTraffic(file string, src []byte, baseDir string) (*Traffic, error) {
	var t Traffic
	pos, faults, ok := decodeDocument(file, src, &t)
	list := &faultList{file: file, pos: pos, faults: faults}
	if !ok {
		return nil, list.err()
	}
	mergeZoneFiles(&t, baseDir, list)
	validateTraffic(&t, list)
	if err := list.err(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate fills defaults into t, normalizes it and checks it, as
// ParseTraffic does for a document built in code. Faults carry field
// paths but no positions.
func (t *Traffic) Validate() error {
	list := &faultList{pos: positions{}}
	validateTraffic(t, list)
	return list.err()
}
