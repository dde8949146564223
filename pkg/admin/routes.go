package admin

import (
	"net/http"
	"slices"
)

// Route is one call of the API: a method and a path pattern, written as
// both net/http.ServeMux and OpenAPI write them ("/v1/checks/{name}/status").
// The server registers exactly the routes Routes returns, and a test holds
// api/openapi.yaml to the same list.
type Route struct {
	Method string
	Path   string
	// Auth is true for the /v1 calls, which need a token when the API has
	// a tokens file.
	Auth bool
	// Write is true for calls that change the cluster: they need a token
	// with the write role.
	Write bool
	// Page is true for the status page: it takes ?token= to set its
	// cookie, and answers refusals in HTML.
	Page bool

	handle func(*server, http.ResponseWriter, *http.Request)
}

// routes is the table both the server and the OpenAPI test read.
var routes = []Route{
	{Method: http.MethodGet, Path: "/healthz", handle: (*server).healthz},
	{Method: http.MethodGet, Path: "/readyz", handle: (*server).readyz},
	{Method: http.MethodGet, Path: "/metrics", handle: (*server).metrics},
	{Method: http.MethodGet, Path: uiPath, Auth: true, Page: true, handle: (*server).getUI},

	{Method: http.MethodGet, Path: "/v1/config", Auth: true, handle: (*server).getConfig},
	{Method: http.MethodPut, Path: "/v1/config", Auth: true, Write: true, handle: (*server).putConfig},
	{Method: http.MethodGet, Path: "/v1/health", Auth: true, handle: (*server).getHealth},
	{Method: http.MethodGet, Path: "/v1/services/{service}/failover", Auth: true, handle: (*server).getFailover},
	{Method: http.MethodPut, Path: "/v1/overrides/{service}/{endpoint}", Auth: true, Write: true, handle: (*server).putOverride},
	{Method: http.MethodDelete, Path: "/v1/overrides/{service}/{endpoint}", Auth: true, Write: true, handle: (*server).deleteOverride},
	{Method: http.MethodPut, Path: "/v1/regions/{region}/override", Auth: true, Write: true, handle: (*server).putRegionOverride},
	{Method: http.MethodDelete, Path: "/v1/regions/{region}/override", Auth: true, Write: true, handle: (*server).deleteRegionOverride},
	{Method: http.MethodGet, Path: "/v1/audit", Auth: true, handle: (*server).getAudit},
	{Method: http.MethodPut, Path: "/v1/checks/{name}/status", Auth: true, Write: true, handle: (*server).putCheckStatus},
	{Method: http.MethodGet, Path: "/v1/members", Auth: true, handle: (*server).getMembers},
	{Method: http.MethodGet, Path: "/v1/explain", Auth: true, handle: (*server).getExplain},
	{Method: http.MethodGet, Path: "/v1/events", Auth: true, handle: (*server).getEvents},
	{Method: http.MethodGet, Path: "/v1/dnssec/{zone}", Auth: true, handle: (*server).getDNSSEC},
	{Method: http.MethodGet, Path: "/v1/dnssec/{zone}/ds", Auth: true, handle: (*server).getDNSSECDS},
	{Method: http.MethodPost, Path: "/v1/dnssec/{zone}/rollover", Auth: true, Write: true, handle: (*server).postDNSSECRollover},
	{Method: http.MethodPost, Path: "/v1/dnssec/{zone}/submitted", Auth: true, Write: true, handle: (*server).postDNSSECSubmitted},
	{Method: http.MethodGet, Path: "/v1/zones/{zone}/records", Auth: true, handle: (*server).getZoneRecords},
	{Method: http.MethodPut, Path: "/v1/zones/{zone}/records", Auth: true, Write: true, handle: (*server).putZoneRecords},
}

// Routes returns every call the API serves (GET routes answer HEAD too).
func Routes() []Route {
	out := slices.Clone(routes)
	for i := range out {
		out[i].handle = nil
	}
	return out
}
