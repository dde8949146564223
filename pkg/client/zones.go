package client

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/gtmd/gtmd/pkg/admin"
)

// PutZoneRecords sends the master file read from file as all of zone's
// static records (its SOA and apex NS are ignored), streaming it as it
// is read. A fault in the file is an *APIError of status 400 whose
// faults name the line; nothing is changed then.
func (c *Client) PutZoneRecords(ctx context.Context, zone string, file io.Reader) (*admin.ZoneRecordsResult, error) {
	var res admin.ZoneRecordsResult
	err := c.call(ctx, request{method: http.MethodPut, path: zonePath(zone), stream: file, contentType: "text/dns", timeout: admin.ZoneCallTimeout}, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// ZoneRecords writes zone as a master file to w, as it arrives.
func (c *Client) ZoneRecords(ctx context.Context, zone string, w io.Writer) error {
	_, _, err := c.do(ctx, request{method: http.MethodGet, path: zonePath(zone), accept: "text/dns", out: w, timeout: admin.ZoneCallTimeout})
	return err
}

func zonePath(zone string) string {
	return "/v1/zones/" + url.PathEscape(zone) + "/records"
}
