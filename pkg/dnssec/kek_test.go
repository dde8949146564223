package dnssec

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestKEKNeverPrints(t *testing.T) {
	k := testKEK(0xa0)
	secret := hex.EncodeToString(k[:])
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(strings.ToLower(out), secret[:8]) || strings.Contains(out, "160") {
			t.Errorf("%s prints %q", verb, out)
		}
		out = fmt.Sprintf(verb, struct{ K KEK }{k})
		if strings.Contains(strings.ToLower(out), secret[:8]) || strings.Contains(out, "160") {
			t.Errorf("%s of a struct prints %q", verb, out)
		}
	}
	if b, err := json.Marshal(struct{ K KEK }{k}); err == nil {
		t.Errorf("JSON encoded the key: %s", b)
	}
}
