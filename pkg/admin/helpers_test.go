package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
)

// api is a test client of one server.
type api struct {
	t     *testing.T
	srv   *httptest.Server
	token string
}

func newAPI(t *testing.T, b *admintest.Backend, opts admin.Options) *api {
	t.Helper()
	return &api{t: t, srv: admintest.NewServer(t, b, opts)}
}

// reply is a response, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; hdr holds header name, value pairs.
func (a *api) do(method, path, body string, hdr ...string) *reply {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: reading: %v", method, path, err)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (a *api) get(path string, hdr ...string) *reply { return a.do(http.MethodGet, path, "", hdr...) }

func (a *api) putJSON(path, body string) *reply {
	return a.do(http.MethodPut, path, body, "Content-Type", "application/json")
}

// decode reads the body as JSON into v, after checking the status.
func (r *reply) decode(t *testing.T, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not the JSON expected: %v\n%s", err, r.body)
	}
}

// errorBody is the JSON body of a refusal.
type errorBody struct {
	Error  string `json:"error"`
	Faults []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"faults"`
	Revision int64 `json:"revision"`
}

// refused checks a refusal's status, JSON content type and exact message.
func (r *reply) refused(t *testing.T, status int, msg string) errorBody {
	t.Helper()
	var e errorBody
	r.decode(t, status, &e)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if msg != "" && e.Error != msg {
		t.Errorf("error:\n got %q\nwant %q", e.Error, msg)
	}
	if e.Error == "" {
		t.Errorf("refusal without an error message: %s", r.body)
	}
	return e
}
