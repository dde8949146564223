package dnssec

import (
	"testing"
)

// FuzzParseKeySet: any bytes give a KeySet that passes its checks or an
// error, never a panic; what parses signs or says why not.
func FuzzParseKeySet(f *testing.F) {
	for _, split := range []bool{false, true} {
		s := testSettings(ECDSAP256SHA256, split)
		ks, _ := NewKeySet("example.test.", s, testKEK(1), testRand(1), t0)
		b, _ := ks.Marshal()
		f.Add(b)
		ks.StartRollover(s, testKEK(1), testRand(2), t0)
		b, _ = ks.Marshal()
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"zone":".","keys":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ks, err := ParseKeySet(b)
		if err != nil {
			return
		}
		s := testSettings(ECDSAP256SHA256, false)
		ks.Status(s, t0)
		ks.Advance(s, t0.Add(1000*ipub))
		ks.Signer(testKEK(1), s, (&clock{t0}).now, nil)
		if _, err := ks.Marshal(); err != nil {
			t.Errorf("a parsed key set does not encode: %v", err)
		}
	})
}
