package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Fault is one thing wrong with a document, with the place it was found.
type Fault struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Field is the path of the value at fault, such as zones[0].records[2].type.
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error formats the fault as file:line:column: field: message, leaving out
// the parts that are unknown (the column of a YAML syntax error, say).
func (f Fault) Error() string {
	var b strings.Builder
	if f.File != "" {
		b.WriteString(f.File)
		b.WriteByte(':')
	}
	if f.Line > 0 {
		fmt.Fprintf(&b, "%d:", f.Line)
		if f.Column > 0 {
			fmt.Fprintf(&b, "%d:", f.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if f.Field != "" {
		b.WriteString(f.Field)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// ValidationError is every fault found in one document. A document with a
// ValidationError is rejected whole.
type ValidationError struct {
	Faults []Fault
}

// Error lists the faults, one a line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Faults))
	for i, f := range e.Faults {
		lines[i] = f.Error()
	}
	return strings.Join(lines, "\n")
}

// faultList collects faults while a document is checked, placing each one
// with the positions recorded when the document was decoded.
type faultList struct {
	file   string
	pos    positions
	faults []Fault
}

// addf records a fault at field, placed at the closest known position.
func (l *faultList) addf(field, format string, args ...any) {
	line, col := l.pos.find(field)
	l.faults = append(l.faults, Fault{File: l.file, Line: line, Column: col, Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was recorded.
func (l *faultList) err() error {
	if len(l.faults) == 0 {
		return nil
	}
	// In document order, so the list reads top to bottom; faults without a
	// place keep the order they were found in, after the placed ones.
	slices.SortStableFunc(l.faults, func(a, b Fault) int {
		if (a.Line == 0) != (b.Line == 0) {
			return cmp.Compare(b.Line, a.Line)
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &ValidationError{Faults: l.faults}
}
