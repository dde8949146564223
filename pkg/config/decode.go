package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// positions maps a field path (zones[0].records[1].type) to the line and
// column of its value in the source document.
type positions map[string][2]int

// find returns the position of field, or of its closest ancestor that has
// one, so a fault about a missing key points at the map that lacks it.
func (p positions) find(field string) (line, col int) {
	for f := field; ; {
		if lc, ok := p[f]; ok {
			return lc[0], lc[1]
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			if lc, ok := p[""]; ok {
				return lc[0], lc[1]
			}
			return 0, 0
		}
		f = f[:i]
	}
}

// decodeDocument parses src into out (a pointer to a struct), refusing keys
// that out does not have. It returns the position of every value so later
// checks can point at them. Faults are collected, not stopped at, except
// when the document cannot be read as one (a syntax error, a second
// document, something other than a mapping at the top, or a key set twice,
// which makes yaml drop the whole mapping): then ok is false and
// validating what was decoded would only add faults about what is missing.
func decodeDocument(file string, src []byte, out any) (pos positions, faults []Fault, ok bool) {
	pos = positions{}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return pos, []Fault{syntaxFault(file, err)}, false
	}
	// A second document would be silently dropped: refuse it, unless it
	// is empty (a trailing ---).
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pos, []Fault{syntaxFault(file, err)}, false
		}
		if len(next.Content) > 0 && (next.Content[0].Kind != yaml.ScalarNode || next.Content[0].Value != "") {
			return pos, []Fault{{File: file, Line: next.Line, Column: next.Column,
				Message: "a second YAML document starts here; a file holds one document"}}, false
		}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		// An empty document decodes to the zero value; validation then says
		// what is missing.
		return pos, nil, true
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode && !(doc.Kind == yaml.ScalarNode && doc.Tag == "!!null") {
		return pos, []Fault{{File: file, Line: doc.Line, Column: doc.Column, Message: "the document must be a mapping of keys to values, not " + kindName(doc)}}, false
	}
	// Before anything below follows an alias: the walk, the decode and
	// the UnmarshalYAML methods it calls all expand them.
	if f := checkBounds(file, doc, len(src)); f != nil {
		return pos, []Fault{*f}, false
	}
	// Sized once: a document of thousands of services has a position for
	// each of its tens of thousands of values.
	pos = make(positions, countNodes(doc))
	w := &walker{pos: pos, fieldsOf: map[reflect.Type]map[string]reflect.StructField{}, list: &faultList{file: file, pos: pos}}
	w.walk(doc, reflect.TypeOf(out).Elem(), "")
	// yaml leaves unknown keys alone and goes on past values of the wrong
	// type, so the decode still fills in what it can and its faults join
	// the unknown keys.
	faults = w.list.faults
	if err := doc.Decode(out); err != nil {
		// The types of the nodes place its faults; they are needed only
		// here, so a second walk finds them.
		typed := &walker{pos: positions{}, types: map[*yaml.Node]reflect.Type{}, fieldsOf: w.fieldsOf, list: &faultList{file: file, pos: positions{}}}
		typed.walk(doc, reflect.TypeOf(out).Elem(), "")
		faults = append(faults, decodeFaults(file, pos, doc, typed.types, err)...)
	}
	return pos, faults, w.duplicates == 0
}

// countNodes counts the nodes under n, aliases not followed.
func countNodes(n *yaml.Node) int {
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch)
	}
	return c
}

// kindName says what a node is, for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return fmt.Sprintf("%q", n.Value)
}

// walker walks a document beside the type it decodes into.
type walker struct {
	pos positions
	// types holds the type each node decodes into, to place type errors;
	// nil when they are not wanted.
	types map[*yaml.Node]reflect.Type
	// fieldsOf holds each struct type's fields by yaml key, found once:
	// a document of thousands of services looks them up for every value.
	fieldsOf map[reflect.Type]map[string]reflect.StructField
	list     *faultList
	// duplicates counts keys set twice in one mapping.
	duplicates int
}

// walk records the position of every value under n, the type each node
// is decoded into, and a fault for every mapping key that t has no field
// for or that is set twice.
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	n = resolveAlias(n)
	w.pos[path] = [2]int{n.Line, n.Column}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if w.types != nil {
		w.types[n] = t
	}
	dup := w.duplicateKeys(n, path)
	if reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		return
	}
	switch {
	case t.Kind() == reflect.Int && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float":
		// yaml cuts 1.5 to 1 without a word; a count given as 1.5 is a
		// mistake to point at, not to round.
		w.list.addf(path, "must be a whole number, not %s", n.Value)
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		var set map[string]bool
		if hasMerge(n) {
			set = map[string]bool{}
		}
		w.fields(n, t, path, dup, set)
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			w.walk(item, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	}
}

// hasMerge reports whether mapping n merges others in with "<<".
func hasMerge(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			return true
		}
	}
	return false
}

// fields walks the keys of mapping n as the fields of struct t, leaving
// out those in dup and those already set, and marking the ones it walks
// as set. Mappings merged in with "<<" come after n's own keys, which win
// over theirs, as yaml decodes them; set is nil when nothing is merged,
// as n's own keys, duplicates left out, cannot repeat.
func (w *walker) fields(n *yaml.Node, t reflect.Type, path string, dup map[int]bool, set map[string]bool) {
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if dup[i] || set[key.Value] {
			continue
		}
		if key.Value == "<<" && key.ShortTag() == "!!merge" {
			merged = append(merged, val)
			continue
		}
		if set != nil {
			set[key.Value] = true
		}
		child := joinField(path, key.Value)
		f, ok := w.field(t, key.Value)
		if !ok {
			w.pos[child] = [2]int{key.Line, key.Column}
			w.list.addf(child, "unknown field %q", key.Value)
			continue
		}
		w.walk(val, f.Type, child)
	}
	for _, m := range merged {
		m = resolveAlias(m)
		maps := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			maps = m.Content
		}
		for _, mm := range maps {
			if mm := resolveAlias(mm); mm.Kind == yaml.MappingNode {
				w.fields(mm, t, path, nil, set)
			}
		}
	}
}

// resolveAlias returns the node an alias (*name) refers to, or n itself.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// duplicateKeys records a fault for every key of mapping n that an earlier
// key of n repeats, and returns their indexes in n.Content. yaml refuses
// such a mapping whole, whatever type it decodes into.
func (w *walker) duplicateKeys(n *yaml.Node, path string) map[int]bool {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var dup map[int]bool
	// Most mappings hold a handful of keys: comparing each with those
	// before it costs less than a map until they are many.
	var first map[string]int
	if len(n.Content) > 32 {
		first = make(map[string]int, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		line, seen := 0, false
		if first != nil {
			line, seen = first[key.Value]
			if !seen {
				first[key.Value] = key.Line
			}
		} else {
			for j := 0; j < i; j += 2 {
				if n.Content[j].Value == key.Value {
					line, seen = n.Content[j].Line, true
					break
				}
			}
		}
		if !seen {
			continue
		}
		if dup == nil {
			dup = map[int]bool{}
		}
		dup[i] = true
		w.duplicates++
		w.list.faults = append(w.list.faults, Fault{File: w.list.file, Line: key.Line, Column: key.Column,
			Field: joinField(path, key.Value), Message: fmt.Sprintf("is set twice; first at line %d", line)})
	}
	return dup
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field finds the field of struct t whose yaml tag names key.
func (w *walker) field(t reflect.Type, key string) (reflect.StructField, bool) {
	byKey, ok := w.fieldsOf[t]
	if !ok {
		byKey = map[string]reflect.StructField{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
				byKey[name] = f
			}
		}
		w.fieldsOf[t] = byKey
	}
	f, ok := byKey[key]
	return f, ok
}

// yamlLineRE matches the place yaml puts before its messages; the column
// is there only in messages of gtmd's own types.
var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+)(?:, column (\d+))?: (.*)$`)

// parserProblems are the syntax errors of yaml's parser, as opposed to its
// scanner. yaml reports their line counted from 0 (it adds one only for
// scanner errors), so syntaxFault adds the one.
var parserProblems = map[string]bool{
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"found undefined tag handle":             true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// syntaxFault turns a YAML syntax error into a fault with its line.
func syntaxFault(file string, err error) Fault {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserProblems[m[3]] {
			line++
		}
		return Fault{File: file, Line: line, Message: "invalid YAML: " + m[3]}
	}
	return Fault{File: file, Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decodeFaults turns the type errors of a decode (a string where a number
// belongs, say) into faults, each placed on the value yaml complains about
// and named by the field found there. yaml gives only a line: the values
// and fields of each line are indexed once, so a document with a fault on
// every line costs no more than its size.
func decodeFaults(file string, pos positions, doc *yaml.Node, types map[*yaml.Node]reflect.Type, err error) []Fault {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []Fault{{File: file, Message: fmt.Sprintf("decoding: %v", err)}}
	}
	faults := make([]Fault, 0, len(te.Errors))
	taken := map[*yaml.Node]bool{}
	values := valuesByLine(doc)
	fields := pos.byLine()
	for _, e := range te.Errors {
		if strings.Contains(e, ": mapping key ") {
			continue // the walk reported it, with its column
		}
		f := Fault{File: file, Message: e}
		if m := yamlLineRE.FindStringSubmatch(e); m != nil {
			f.Line, _ = strconv.Atoi(m[1])
			col, _ := strconv.Atoi(m[2])
			f.Message = m[3]
			if tm := typeErrRE.FindStringSubmatch(m[3]); tm != nil {
				// yaml gives only the line; several values can share it
				// in a flow mapping, so find the value by its tag and text.
				n := typeErrorNode(values[f.Line], tm[1], tm[2], types, strings.TrimLeft(tm[3], "*"), taken)
				if n == nil {
					// A custom type (Duration) decodes into another.
					n = typeErrorNode(values[f.Line], tm[1], tm[2], nil, "", taken)
				}
				if n != nil && col == 0 {
					col = n.Column
				}
				f.Message = typeErrorMessage(tm[1], tm[2], tm[3])
			}
			f.Field, f.Column = fieldAt(pos, fields[f.Line], col)
		}
		faults = append(faults, f)
	}
	return faults
}

// typeErrRE matches yaml's message for a value of the wrong type: the
// value's tag, its text (cut to 7 characters and "..." when long) for
// scalars, and the Go type it does not fit.
var typeErrRE = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")

// valuesByLine lists the values (not the keys) under n by the line they
// start on, each line's in document order. Aliases are not followed:
// yaml reports a value where it is written.
func valuesByLine(n *yaml.Node) map[int][]*yaml.Node {
	out := map[int][]*yaml.Node{}
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		out[n.Line] = append(out[n.Line], n)
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				continue // keys are not values
			}
			visit(c)
		}
	}
	visit(n)
	return out
}

// typeErrorNode returns the first of a line's values that matches a type
// error's tag and text and, with types, the Go type it was decoded into,
// and that no earlier error was placed on.
func typeErrorNode(line []*yaml.Node, tag, text string, types map[*yaml.Node]reflect.Type, goType string, taken map[*yaml.Node]bool) *yaml.Node {
	for _, n := range line {
		if taken[n] || n.ShortTag() != "!!"+tag || (types != nil && (types[n] == nil || types[n].String() != goType)) {
			continue
		}
		v, cut := strings.CutSuffix(text, "...")
		if n.Kind != yaml.ScalarNode || n.Value == text || (cut && len(n.Value) > 10 && strings.HasPrefix(n.Value, v)) {
			taken[n] = true
			return n
		}
	}
	return nil
}

// typeErrorMessage rewrites yaml's "cannot unmarshal !!str `abc` into
// uint32" in the words of the document rather than of Go.
func typeErrorMessage(tag, text, goType string) string {
	var want string
	switch strings.TrimLeft(goType, "*") {
	case "int":
		want = "a whole number"
	case "uint32":
		want = "a whole number from 0 to 4294967295"
	case "float64":
		want = "a number"
	case "bool":
		want = "true or false"
	case "string":
		want = "a string"
	default:
		if strings.HasPrefix(goType, "[]") {
			want = "a list"
		} else if strings.HasPrefix(strings.TrimLeft(goType, "*"), "config.") {
			want = "a mapping"
		} else {
			return fmt.Sprintf("cannot unmarshal !!%s into %s", tag, goType)
		}
	}
	var got string
	switch tag {
	case "seq":
		got = "a list"
	case "map":
		got = "a mapping"
	case "str":
		got = strconv.Quote(text)
	default:
		got = text
	}
	return fmt.Sprintf("must be %s, not %s", want, got)
}

// byLine lists the fields by the line their value starts on.
func (p positions) byLine() map[int][]string {
	out := map[int][]string{}
	for f, lc := range p {
		out[lc[0]] = append(out[lc[0]], f)
	}
	return out
}

// fieldAt returns, of the fields whose value starts on one line, the one
// at col or, with col 0, the deepest.
func fieldAt(pos positions, fields []string, col int) (string, int) {
	best, bestCol := "", 0
	for _, f := range fields {
		lc := pos[f]
		if col > 0 && lc[1] != col {
			continue
		}
		if bestCol == 0 || len(f) > len(best) || (len(f) == len(best) && f < best) {
			best, bestCol = f, lc[1]
		}
	}
	return best, bestCol
}
