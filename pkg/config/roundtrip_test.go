package config

import (
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// checkRoundTrips checks that orig, a parsed document, survives the forms
// it travels in: the stored JSON (EncodeStored, ParseStored) every node
// reads, and the YAML and JSON that `gtmd get config` prints. It returns
// the YAML form for the caller's own checks.
func checkRoundTrips(t *testing.T, orig *Traffic) []byte {
	t.Helper()
	stored, err := EncodeStored(orig)
	if err != nil {
		t.Fatal(err)
	}
	yamlForm, err := yaml.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	jsonForm, err := json.MarshalIndent(orig, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		parse func() (*Traffic, error)
	}{
		{"stored", func() (*Traffic, error) { return ParseStored("stored", stored) }},
		{"yaml", func() (*Traffic, error) { return ParseTraffic("get.yaml", yamlForm, "") }},
		{"json", func() (*Traffic, error) { return ParseTraffic("get.json", jsonForm, "") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, orig) {
				diffJSON(t, got, orig)
			}
		})
	}
	return yamlForm
}
