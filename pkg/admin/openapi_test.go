package admin_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gtmd/gtmd/pkg/admin"
)

const openAPIFile = "../../api/openapi.yaml"

type openAPI struct {
	OpenAPI    string                          `yaml:"openapi"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Parameters map[string]parameter `yaml:"parameters"`
	} `yaml:"components"`
}

type parameter struct {
	Ref  string `yaml:"$ref"`
	In   string `yaml:"in"`
	Name string `yaml:"name"`
}

type operation struct {
	Security   *[]map[string][]string `yaml:"security"`
	Parameters []parameter            `yaml:"parameters"`
	Responses  map[string]yaml.Node   `yaml:"responses"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

func loadOpenAPI(t *testing.T) (*openAPI, []byte) {
	t.Helper()
	src, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("%s: %v", openAPIFile, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("%s: openapi %q, want 3.x", openAPIFile, doc.OpenAPI)
	}
	return &doc, src
}

// TestOpenAPIMatchesRoutes holds api/openapi.yaml and the server's route
// table to the same calls, with the same path parameters, security and
// refusals.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	var documented, served []string
	for path, item := range doc.Paths {
		for m := range item {
			if slices.Contains(httpMethods, m) {
				documented = append(documented, strings.ToUpper(m)+" "+path)
			}
		}
	}
	for _, rt := range admin.Routes() {
		served = append(served, rt.Method+" "+rt.Path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		for _, d := range documented {
			if !slices.Contains(served, d) {
				t.Errorf("%s is in %s but not served", d, openAPIFile)
			}
		}
		for _, s := range served {
			if !slices.Contains(documented, s) {
				t.Errorf("%s is served but not in %s", s, openAPIFile)
			}
		}
	}

	pathParam := regexp.MustCompile(`\{(\w+)\}`)
	for _, rt := range admin.Routes() {
		item := doc.Paths[rt.Path]
		node, ok := item[strings.ToLower(rt.Method)]
		if !ok {
			continue
		}
		var op operation
		if err := node.Decode(&op); err != nil {
			t.Fatalf("%s %s: %v", rt.Method, rt.Path, err)
		}
		// Path parameters: those of the path item and of the operation.
		var shared []parameter
		if n, ok := item["parameters"]; ok {
			if err := n.Decode(&shared); err != nil {
				t.Fatal(err)
			}
		}
		var declared []string
		for _, p := range append(shared, op.Parameters...) {
			if p.Ref != "" {
				p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
			}
			if p.In == "path" {
				declared = append(declared, p.Name)
			}
		}
		var want []string
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			want = append(want, m[1])
		}
		slices.Sort(declared)
		slices.Sort(want)
		if !slices.Equal(declared, want) {
			t.Errorf("%s %s: path parameters %v documented, %v in the path", rt.Method, rt.Path, declared, want)
		}
		open := op.Security != nil && len(*op.Security) == 0
		if open == rt.Auth {
			t.Errorf("%s %s: documented open=%v, served with auth=%v", rt.Method, rt.Path, open, rt.Auth)
		}
		// Every call counts against max_requests_per_token, so any may
		// answer 429; /metrics needs a token with admin.metrics_token.
		need := []string{"200", "429"}
		if rt.Auth || rt.Path == "/metrics" {
			need = append(need, "401")
		}
		if rt.Write {
			need = append(need, "403")
		}
		for _, code := range need {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s %s: response %s is not documented", rt.Method, rt.Path, code)
			}
		}
	}
}

// TestOpenAPIValid checks the document against the OpenAPI 3 schema with
// the Python openapi-spec-validator, where it is installed.
func TestOpenAPIValid(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import openapi_spec_validator").Run() != nil {
		t.Skip("openapi-spec-validator (pip install openapi-spec-validator) is not installed: api/openapi.yaml is not checked against the OpenAPI schema")
	}
	out, err := exec.Command(py, "-m", "openapi_spec_validator", openAPIFile).CombinedOutput()
	if err != nil {
		t.Errorf("openapi-spec-validator: %v\n%s", err, out)
	}
}

// TestOpenAPIRefsResolve checks every $ref names a component that exists.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, src := loadOpenAPI(t)
	var root map[string]any
	if err := yaml.Unmarshal(src, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					ref, _ := x.(string)
					if !resolves(root, ref) {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
					continue
				}
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(root, "#")
}

func resolves(root map[string]any, ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = root
	for part := range strings.SplitSeq(rest, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
