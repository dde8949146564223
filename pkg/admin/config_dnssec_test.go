package admin_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/admin/admintest"
	"github.com/gtmd/gtmd/pkg/config"
)

// TestGetConfigShowsDNSSEC checks that GET /v1/config, in both forms
// `gtmd get config` prints, shows each zone's dnssec settings as applied:
// they hold no secret, and an operator reads them there.
func TestGetConfigShowsDNSSEC(t *testing.T) {
	doc, err := config.LoadTraffic("../config/testdata/traffic_full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Zones[0].DNSSEC == nil || doc.Zones[1].DNSSEC == nil {
		t.Fatal("the fixture's zones have no dnssec section; the test tests nothing")
	}
	a := newAPI(t, admintest.New("n1", doc), admin.Options{})
	for _, accept := range []string{"application/json", "application/yaml"} {
		t.Run(accept, func(t *testing.T) {
			r := a.get("/v1/config", "Accept", accept)
			if !strings.Contains(string(r.body), "dnssec") || !strings.Contains(string(r.body), "signature_validity") {
				t.Errorf("the document shows no dnssec settings:\n%s", r.body)
			}
			got := decodeDoc(t, r)
			for i := range doc.Zones {
				if !reflect.DeepEqual(got.Zones[i].DNSSEC, doc.Zones[i].DNSSEC) {
					t.Errorf("zones[%d].dnssec: got %+v, want %+v", i, got.Zones[i].DNSSEC, doc.Zones[i].DNSSEC)
				}
			}
		})
	}
}
