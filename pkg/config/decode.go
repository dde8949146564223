package config

import (
	"errors"
	"fmt"
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
// checks can point at them. Faults are collected, not stopped at.
func decodeDocument(file string, src []byte, out any) (positions, []Fault) {
	pos := positions{}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return pos, []Fault{syntaxFault(file, err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		// An empty document decodes to the zero value; validation then says
		// what is missing.
		return pos, nil
	}
	doc := root.Content[0]
	list := &faultList{file: file, pos: pos}
	walkKnown(doc, reflect.TypeOf(out).Elem(), "", pos, list)
	// yaml leaves unknown keys alone and goes on past values of the wrong
	// type, so the decode still fills in what it can and its faults join
	// the unknown keys.
	faults := list.faults
	if err := doc.Decode(out); err != nil {
		faults = append(faults, decodeFaults(file, pos, err)...)
	}
	return pos, faults
}

// walkKnown records the position of every value under n and a fault for
// every mapping key that t has no field for.
func walkKnown(n *yaml.Node, t reflect.Type, path string, pos positions, list *faultList) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	pos[path] = [2]int{n.Line, n.Column}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			child := joinField(path, key.Value)
			f, ok := fieldByTag(t, key.Value)
			if !ok {
				pos[child] = [2]int{key.Line, key.Column}
				list.addf(child, "unknown field %q", key.Value)
				continue
			}
			walkKnown(val, f.Type, child, pos, list)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			walkKnown(item, t.Elem(), path+"["+strconv.Itoa(i)+"]", pos, list)
		}
	}
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldByTag finds the struct field whose yaml tag names key.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == key && name != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlLineRE matches the place yaml puts before its messages; the column
// is there only in messages of gtmd's own types.
var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+)(?:, column (\d+))?: (.*)$`)

// syntaxFault turns a YAML syntax error into a fault with its line.
func syntaxFault(file string, err error) Fault {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Fault{File: file, Line: line, Message: "invalid YAML: " + m[3]}
	}
	return Fault{File: file, Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decodeFaults turns the type errors of a decode (a string where a number
// belongs, say) into faults, each placed on the line yaml reports and named
// by the field found at that line.
func decodeFaults(file string, pos positions, err error) []Fault {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []Fault{{File: file, Message: fmt.Sprintf("decoding: %v", err)}}
	}
	faults := make([]Fault, 0, len(te.Errors))
	for _, e := range te.Errors {
		f := Fault{File: file, Message: e}
		if m := yamlLineRE.FindStringSubmatch(e); m != nil {
			f.Line, _ = strconv.Atoi(m[1])
			col, _ := strconv.Atoi(m[2])
			f.Message = m[3]
			f.Field, f.Column = fieldAt(pos, f.Line, col)
		}
		faults = append(faults, f)
	}
	return faults
}

// fieldAt returns the field whose value starts at line and col, or, with
// col 0, the deepest field whose value starts on line.
func fieldAt(pos positions, line, col int) (string, int) {
	best, bestCol := "", 0
	for f, lc := range pos {
		if lc[0] != line || (col > 0 && lc[1] != col) {
			continue
		}
		if bestCol == 0 || len(f) > len(best) || (len(f) == len(best) && f < best) {
			best, bestCol = f, lc[1]
		}
	}
	return best, bestCol
}
