package config_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gtmd/gtmd/pkg/config"
)

// docFile is the configuration reference this test holds to the types.
const docFile = "../../docs/configuration.md"

// docSections maps each heading of docFile that documents a document to
// the type it documents.
var docSections = map[string]reflect.Type{
	"## Node file":        reflect.TypeFor[config.Node](),
	"## Traffic document": reflect.TypeFor[config.Traffic](),
}

// TestConfigurationDocMatchesTypes fails naming every key of the node
// file or the traffic document that docs/configuration.md leaves out,
// every documented key the types do not have, and every type that does
// not match, so the reference cannot drift from what gtmd parses.
func TestConfigurationDocMatchesTypes(t *testing.T) {
	documented := readDocKeys(t, docFile)
	for heading, typ := range docSections {
		want := map[string]string{}
		walkKeys(typ, "", want)
		got := documented[heading]
		if len(got) == 0 {
			t.Errorf("%s: no table of keys under %q", docFile, heading)
			continue
		}
		for _, key := range sortedKeys(want) {
			row, ok := got[key]
			switch {
			case !ok:
				t.Errorf("%s, %s: key `%s` (%s) is not documented", docFile, heading, key, want[key])
			case row.typ != want[key]:
				t.Errorf("%s, %s: key `%s` is documented as %q, the type is %q", docFile, heading, key, row.typ, want[key])
			}
		}
		for _, key := range sortedKeys(got) {
			if _, ok := want[key]; !ok {
				t.Errorf("%s, %s: key `%s` is documented but %s has no such field", docFile, heading, key, typ)
			}
		}
	}
}

// TestConfigurationDocDefaults: every default the node file gets from
// config.DefaultNode is the one docs/configuration.md gives, written as
// the file would write it. (node.id, the hostname, differs per machine;
// the traffic document's defaults are filled in by its validation, and
// checked by its tests.)
func TestConfigurationDocDefaults(t *testing.T) {
	rows := readDocKeys(t, docFile)["## Node file"]
	defaults := map[string]string{}
	walkDefaults(reflect.ValueOf(config.DefaultNode()), "", defaults)
	delete(defaults, "node.id")
	if len(defaults) < 10 {
		t.Fatalf("only %d defaults found in config.DefaultNode: %v", len(defaults), defaults)
	}
	for _, key := range sortedKeys(defaults) {
		row, ok := rows[key]
		if !ok {
			continue // TestConfigurationDocMatchesTypes names it
		}
		if want := "`" + defaults[key] + "`"; row.def != want {
			t.Errorf("%s: key `%s` has default %s, documented as %q", docFile, key, want, row.def)
		}
	}
}

// TestWalkKeysSeesEveryShape keeps the walker honest: a walker that
// missed nested structs, pointers or slices would let the doc test pass
// while keys go undocumented.
func TestWalkKeysSeesEveryShape(t *testing.T) {
	type inner struct {
		Leaf  string          `yaml:"leaf"`
		Skip  string          `yaml:"-"`
		Times config.Duration `yaml:"times,omitempty"`
	}
	type outer struct {
		A     int               `yaml:"a"`
		In    inner             `yaml:"in"`
		Ptr   *inner            `yaml:"ptr"`
		List  []inner           `yaml:"list"`
		Names []string          `yaml:"names"`
		Map   map[string]string `yaml:"map"`
		N     *uint32           `yaml:"n,omitempty"`
		F     float64           `yaml:"f"`
		B     bool              `yaml:"b"`
		quiet int
	}
	got := map[string]string{}
	walkKeys(reflect.TypeFor[outer](), "", got)
	want := map[string]string{
		"a": "integer", "in.leaf": "string", "in.times": "duration",
		"ptr.leaf": "string", "ptr.times": "duration",
		"list[].leaf": "string", "list[].times": "duration",
		"names": "list of string", "map": "map of string", "n": "integer",
		"f": "number", "b": "boolean",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walkKeys = %v, want %v", got, want)
	}
}

// walkKeys records every leaf key of typ under prefix as a dotted path,
// with "[]" after a list of objects, and its type in the doc's words.
func walkKeys(typ reflect.Type, prefix string, out map[string]string) {
	for f := range typ.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		path := prefix + name
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case isObject(ft):
			walkKeys(ft, path+".", out)
		case ft.Kind() == reflect.Slice && isObject(ft.Elem()):
			walkKeys(ft.Elem(), path+"[].", out)
		default:
			out[path] = typeWord(ft)
		}
	}
}

// walkDefaults records every leaf of v that is not its zero value under
// its dotted path, formatted as a node file would write it.
func walkDefaults(v reflect.Value, prefix string, out map[string]string) {
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		fv := v.Field(i)
		switch {
		case isObject(fv.Type()):
			walkDefaults(fv, prefix+name+".", out)
		case !fv.IsZero():
			out[prefix+name] = formatValue(fv)
		}
	}
}

// formatValue writes a default as the docs do: durations as 10s or 24h,
// lists as JSON.
func formatValue(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case config.Duration:
		s := time.Duration(x).String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	case []string:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v.Interface())
}

func isObject(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != reflect.TypeFor[config.Duration]()
}

// typeWord is how docFile names a value's type.
func typeWord(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[config.Duration]() {
		return "duration"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list of " + typeWord(t.Elem())
	case reflect.Map:
		return "map of " + typeWord(t.Elem())
	}
	return t.String()
}

// docRow is a key's type and default as docFile gives them.
type docRow struct{ typ, def string }

// readDocKeys reads the tables of docFile: for each "## " heading, the
// rows whose first cell is a `key`, then its type and default.
func readDocKeys(t *testing.T, path string) map[string]map[string]docRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading the configuration reference: %v", err)
	}
	defer f.Close()
	out := map[string]map[string]docRow{}
	heading := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			heading = line
			for h := range docSections {
				if strings.HasPrefix(line, h) {
					heading = h
				}
			}
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Errorf("%s:%d: a row of keys needs key, type, default and meaning: %s", path, n, line)
			continue
		}
		key := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if out[heading] == nil {
			out[heading] = map[string]docRow{}
		}
		if _, dup := out[heading][key]; dup {
			t.Errorf("%s:%d: key `%s` is documented twice", path, n, key)
		}
		out[heading][key] = docRow{typ: strings.TrimSpace(cells[2]), def: strings.TrimSpace(cells[3])}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
