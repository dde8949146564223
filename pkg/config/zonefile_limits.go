package config

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// zoneFileRefused says why the zone file at path is refused before it is
// read, or "": it must be a regular file of at most MaxDocumentBytes. A
// document from the API or the store names paths on every node, and a
// device or a pipe (/dev/zero, a FIFO) would be read without end. A file
// that cannot be stat'ed is left to the read to report.
func zoneFileRefused(path string) string {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return ""
	case !fi.Mode().IsRegular():
		return path + " is not a regular file"
	case fi.Size() > MaxDocumentBytes:
		return fmt.Sprintf("%s is %d bytes, over the limit of %d bytes of a traffic document", path, fi.Size(), MaxDocumentBytes)
	}
	return ""
}

// A zone file is at most MaxDocumentBytes long (zoneFileRefused), but one
// $GENERATE line stands for up to 65,536 records, and a file of such lines
// for billions: the records would be built in memory, and only then found
// too large to store. zoneFileBudget refuses a zone file as soon as its
// records could not be stored, at the line that took them past, whichever
// of two bounds comes first:
const (
	// maxZoneFileRecords bounds the records of one zone file. A stored
	// record takes at least a dozen bytes or so, and far more once it
	// has an owner of its own, so no more than this many fit in the
	// ceiling unless thousands of them share an RRset, which no DNS
	// message (64 KiB at most) could carry.
	maxZoneFileRecords = 100_000
	// storedRRsetOverhead is what a record adds to the stored form, besides
	// its owner, type and data, when it starts an RRset:
	// {"name":"","type":"","ttl":0,"data":[""]} and a comma.
	storedRRsetOverhead = len(`{"name":"","type":"","ttl":0,"data":[""]},`)
	// storedDataOverhead is what one more value of an RRset adds besides
	// its text: its quotes and a comma.
	storedDataOverhead = len(`,""`)
)

// zoneFileBudget counts the records of one zone file and the least their
// stored form can take (JSON escapes only add to it).
type zoneFileBudget struct {
	records, stored int
}

// made counts one record the parser made, kept or not (a file of SOA
// records costs the parsing all the same), and returns why the zone file
// is refused once there are too many, or "".
func (b *zoneFileBudget) made() string {
	b.records++
	if b.records > maxZoneFileRecords {
		return fmt.Sprintf("the zone file makes more than %d records ($GENERATE included), more than a traffic document can hold", maxZoneFileRecords)
	}
	return ""
}

// keep counts the stored form of a record kept, the first of its RRset
// if newSet, and returns why the zone file is refused once its records
// could not be stored, or "".
func (b *zoneFileBudget) keep(newSet bool, name, typ, data string) string {
	if newSet {
		b.stored += storedRRsetOverhead + len(name) + len(typ) + len(data)
	} else {
		b.stored += storedDataOverhead + len(data)
	}
	if b.stored > MaxDocumentBytes {
		return fmt.Sprintf("the zone file's records ($GENERATE included) take more than %d bytes as stored, the limit of a traffic document: the cluster store (etcd) refuses a write over 1.5 MiB", MaxDocumentBytes)
	}
	return ""
}

// lineReader is a zone file as the zone parser reads it, byte by byte,
// keeping the number of the line it is on, so a record found over the
// budget is reported at its line (a $GENERATE's records at the $GENERATE
// line, which the parser has read whole before making them).
type lineReader struct {
	r *bufio.Reader
	// line is the line of the last byte read; eol is set after a
	// newline, which ends its line: the next byte read starts the next.
	line int
	eol  bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReader(r), line: 1}
}

// ReadByte reads one byte; the zone parser reads only through it.
func (l *lineReader) ReadByte() (byte, error) {
	c, err := l.r.ReadByte()
	if err != nil {
		return c, err
	}
	if l.eol {
		l.line++
		l.eol = false
	}
	l.eol = c == '\n'
	return c, nil
}

// Read reads bytes one at a time, so lines are counted whichever way the
// parser reads.
func (l *lineReader) Read(p []byte) (int, error) {
	for i := range p {
		c, err := l.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = c
	}
	return len(p), nil
}
