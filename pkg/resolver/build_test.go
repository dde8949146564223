package resolver

import (
	"strings"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// TestBuildUnvalidatedDocument: a document built in code and never
// validated, with a service outside every zone, is refused with an error
// naming the service, not a panic.
func TestBuildUnvalidatedDocument(t *testing.T) {
	doc := &config.Traffic{
		Zones:    []config.Zone{{Name: "gtm.test."}},
		Services: []config.Service{{Name: "www.elsewhere.test.", Policy: "failover"}},
	}
	_, err := Build(doc, 1)
	if err == nil || !strings.Contains(err.Error(), "www.elsewhere.test.") {
		t.Errorf("Build: %v, want an error naming the service", err)
	}
}
