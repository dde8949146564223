package node

import "testing"

// TestOverrideCallsNameWhatIsThere: through a real node's API, clearing
// an override that is not there succeeds and says so, and a mistyped
// endpoint or service is a 404 whose message lists the service's
// endpoints.
func TestOverrideCallsNameWhatIsThere(t *testing.T) {
	n, _ := startServingNode(t)

	cases := []struct {
		name, method, path, body string
		wantCode                 int
		wantError                string
		wantNoOverride           bool
	}{
		{"drain", "PUT", "/v1/overrides/www.gtm.test/us-east", `{"state":"down"}`, 200, "", false},
		{"undrain", "DELETE", "/v1/overrides/www.gtm.test/us-east", "", 200, "", false},
		{"undrain again", "DELETE", "/v1/overrides/www.gtm.test/us-east", "", 200, "", true},
		{"undrain a mistyped endpoint", "DELETE", "/v1/overrides/www.gtm.test/us-eats", "", 404,
			"service www.gtm.test. has no endpoint us-eats; its endpoints are us-east, eu-west: not found", false},
		{"drain a mistyped endpoint", "PUT", "/v1/overrides/www.gtm.test/us-eats", `{"state":"down"}`, 404,
			"service www.gtm.test. has no endpoint us-eats; its endpoints are us-east, eu-west: not found", false},
		{"drain in an unknown service", "PUT", "/v1/overrides/web.gtm.test/us-east", `{"state":"down"}`, 404,
			"no service web.gtm.test.: not found", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var res struct {
				Error      string `json:"error"`
				NoOverride bool   `json:"no_override"`
			}
			code := api(t, c.method, n.adminBase()+c.path, "application/json", c.body, &res)
			if code != c.wantCode || res.Error != c.wantError || res.NoOverride != c.wantNoOverride {
				t.Errorf("%s %s: %d %+v; want %d, error %q, no_override %v", c.method, c.path, code, res, c.wantCode, c.wantError, c.wantNoOverride)
			}
		})
	}
}
