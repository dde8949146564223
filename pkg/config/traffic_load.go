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
// validates it. file names the source in faults; baseDir is where relative
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
	checkZoneFiles(&t, baseDir, list)
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

// checkZoneFiles refuses, before they are read, zone files that are not
// regular files of at most MaxDocumentBytes: a document from the API or
// the store names paths on every node, and a device or a pipe (/dev/zero,
// a FIFO) would be read without end. A refused zone_file is cleared so it
// is not read; its fault rejects the document.
func checkZoneFiles(t *Traffic, baseDir string, l *faultList) {
	for i := range t.Zones {
		z := &t.Zones[i]
		if z.ZoneFile == "" || (baseDir == "" && !filepath.IsAbs(z.ZoneFile)) {
			continue // mergeZoneFiles says why it cannot be read
		}
		path := z.ZoneFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			continue // mergeZoneFiles reports it as it reads
		case !fi.Mode().IsRegular():
			l.addf(fmt.Sprintf("zones[%d].zone_file", i), "%s is not a regular file", path)
		case fi.Size() > MaxDocumentBytes:
			l.addf(fmt.Sprintf("zones[%d].zone_file", i), "%s is %d bytes, over the limit of %d bytes of a traffic document", path, fi.Size(), MaxDocumentBytes)
		default:
			continue
		}
		z.ZoneFile = ""
	}
}
