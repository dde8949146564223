package admin_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/cluster/member"
)

// TestOpenAPIOneOfExclusive: where api/openapi.yaml says a 200 answer is
// oneOf several schemas, each real answer matches exactly one branch, the
// one it should, and has no field that branch leaves out. A branch
// matches when the answer has its required fields, the values its enums
// allow, and, with additionalProperties false, no other field.
func TestOpenAPIOneOfExclusive(t *testing.T) {
	_, src := loadOpenAPI(t)
	var root map[string]any
	if err := yaml.Unmarshal(src, &root); err != nil {
		t.Fatal(err)
	}
	b := admintest.New("n1", nil)
	peer := admintest.NewServer(t, admintest.New("n2", nil), admin.Options{})
	b.AddMember(member.Member{ID: "n2", Admin: peer.URL})
	a := newAPI(t, b, admin.Options{Peers: peerClient(t, nil, peer.URL)})
	changed := strings.Replace(admintest.TrafficYAML, "ttl: 30\n", "ttl: 45\n", 1)

	for _, tc := range []struct {
		name, method, path, specPath string
		body                         string
		want                         string // the branch the answer must match
	}{
		{"explain", http.MethodGet, "/v1/explain?name=www.example.com", "/v1/explain", "", "Explanation"},
		{"explain all nodes", http.MethodGet, "/v1/explain?name=www.example.com&all_nodes=1", "/v1/explain", "", "ExplainAll"},
		{"dry run", http.MethodPut, "/v1/config?dry_run=1", "/v1/config", changed, "DryRunResult"},
		{"apply", http.MethodPut, "/v1/config", "/v1/config", changed, "ApplyResult"},
		{"apply unchanged", http.MethodPut, "/v1/config", "/v1/config", changed, "ApplyResult"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.body != "" {
				hdr = []string{"Content-Type", "application/yaml"}
			}
			r := a.do(tc.method, tc.path, tc.body, hdr...)
			if r.status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
			}
			var answer map[string]any
			if err := json.Unmarshal(r.body, &answer); err != nil {
				t.Fatal(err)
			}
			branches := oneOfBranches(t, root, tc.specPath, strings.ToLower(tc.method))
			var matched []string
			for _, ref := range branches {
				name := ref[strings.LastIndex(ref, "/")+1:]
				schema := lookupRef(t, root, ref)
				if schemaMatches(schema, answer) {
					matched = append(matched, name)
				}
				if name == tc.want {
					props, _ := schema["properties"].(map[string]any)
					for k := range answer {
						if _, ok := props[k]; !ok {
							t.Errorf("the answer has field %q, which %s does not describe", k, name)
						}
					}
				}
			}
			if !slices.Equal(matched, []string{tc.want}) {
				t.Errorf("the answer matches %v of the oneOf %v, want only %s:\n%s", matched, branches, tc.want, r.body)
			}
		})
	}
}

// oneOfBranches returns the $refs of the oneOf of the 200 JSON answer of
// method on path.
func oneOfBranches(t *testing.T, root map[string]any, path, method string) []string {
	t.Helper()
	var cur any = root
	for _, k := range []string{"paths", path, method, "responses", "200", "content", "application/json", "schema", "oneOf"} {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s %s: no %s in the 200 answer's schema", method, path, k)
		}
		cur = m[k]
	}
	list, _ := cur.([]any)
	var refs []string
	for _, x := range list {
		m, _ := x.(map[string]any)
		ref, _ := m["$ref"].(string)
		refs = append(refs, ref)
	}
	if len(refs) < 2 {
		t.Fatalf("%s %s: oneOf %v", method, path, list)
	}
	return refs
}

func lookupRef(t *testing.T, root map[string]any, ref string) map[string]any {
	t.Helper()
	var cur any = root
	for part := range strings.SplitSeq(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(map[string]any)
		cur = m[part]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("%s does not resolve to a schema", ref)
	}
	return m
}

// schemaMatches reads required, additionalProperties: false and the enums
// of an object schema's properties: the constraints that tell the
// branches of a oneOf apart.
func schemaMatches(schema, v map[string]any) bool {
	required, _ := schema["required"].([]any)
	for _, r := range required {
		if _, ok := v[r.(string)]; !ok {
			return false
		}
	}
	props, _ := schema["properties"].(map[string]any)
	for k, val := range v {
		p, defined := props[k].(map[string]any)
		if !defined {
			if schema["additionalProperties"] == false {
				return false
			}
			continue
		}
		if enum, ok := p["enum"].([]any); ok && !slices.Contains(enum, val) {
			return false
		}
	}
	return true
}
