package resolver

import (
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("decoding %q: %v", s, err)
	}
	return b
}

func mustSecret(tb testing.TB, s string) cookieSecret {
	tb.Helper()
	return cookieSecret(mustHex(tb, s))
}

// TestServerCookieRFC9018: the cookies RFC 9018 Appendix A shows servers
// making, byte for byte; BIND, Knot and others make the same, which is
// what lets them and gtmd share an anycast address.
func TestServerCookieRFC9018(t *testing.T) {
	cases := []struct {
		name, secret, client, ip string
		now                      uint32
		want                     string
	}{
		{"A.1 learning a new server cookie", "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559731985, "2464c4abcf10c957010000005cf79f111f8130c3eee29480"},
		{"A.2 the same client renewing it", "e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559734385, "2464c4abcf10c957010000005cf7a871d4a564a1442aca77"},
		{"A.3 another client renewing it", "e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", 1559734700, "fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustSecret(t, c.secret)
			got := s.cookie(mustHex(t, c.client), netip.MustParseAddr(c.ip), c.now)
			if hex.EncodeToString(got[:]) != c.want {
				t.Errorf("cookie = %x, want %s", got, c.want)
			}
		})
	}
}

// TestCookieCheck: which cookies a server with a pair of secrets
// accepts, and which it replaces. The first cases are RFC 9018's, whose
// reserved bytes (A.3) and previous secret (A.4) the check must honour.
func TestCookieCheck(t *testing.T) {
	const rfcSecret = "e5e973e5a6b2a43f48e7dc849e37bfcf"
	const a1 = "2464c4abcf10c957010000005cf79f111f8130c3eee29480" // made at 1559731985
	const a1At = 1559731985
	cases := []struct {
		name           string
		current, prev  string
		cookie, ip     string
		now            uint32
		valid, renewIt bool
	}{
		{"A.1's cookie a minute later", rfcSecret, "", a1, "198.51.100.100", a1At + 60, true, false},
		{"A.3: reserved bytes the client set are hashed as sent", rfcSecret, "", "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", "203.0.113.203", 0x5cf78f71 + 10, true, false},
		{"A.4: made with the previous secret, so renewed", "445536bcd2513298075a5d379663c962", "dd3bdf9344b678b185a6f5cb60fca715", "22681ab97d52c298010000005cf7c57926556bd0934c72f8", "2001:db8:220:1:59de:d0f4:8769:82b8", 0x5cf7c579 + 10, true, true},
		{"A.4 without the previous secret", "445536bcd2513298075a5d379663c962", "", "22681ab97d52c298010000005cf7c57926556bd0934c72f8", "2001:db8:220:1:59de:d0f4:8769:82b8", 0x5cf7c579 + 10, false, false},
		{"from another address", rfcSecret, "", a1, "198.51.100.101", a1At + 60, false, false},
		{"another client cookie", rfcSecret, "", "2464c4abcf10c958" + a1[16:], "198.51.100.100", a1At + 60, false, false},
		{"a tampered hash", rfcSecret, "", a1[:46] + "81", "198.51.100.100", a1At + 60, false, false},
		{"version 2", rfcSecret, "", a1[:16] + "02" + a1[18:], "198.51.100.100", a1At + 60, false, false},
		{"half an hour old: renewed", rfcSecret, "", a1, "198.51.100.100", a1At + 1800, true, true},
		{"an hour old: the last second", rfcSecret, "", a1, "198.51.100.100", a1At + 3600, true, true},
		{"an hour and a second old: expired", rfcSecret, "", a1, "198.51.100.100", a1At + 3601, false, false},
		{"five minutes ahead: clock skew", rfcSecret, "", a1, "198.51.100.100", a1At - 300, true, false},
		{"five minutes and a second ahead", rfcSecret, "", a1, "198.51.100.100", a1At - 301, false, false},
		{"a short server cookie", rfcSecret, "", a1[:32], "198.51.100.100", a1At, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &cookieSecrets{current: mustSecret(t, c.current)}
			if c.prev != "" {
				s.previous, s.hasPrevious = mustSecret(t, c.prev), true
			}
			valid, renew := s.check(mustHex(t, c.cookie), netip.MustParseAddr(c.ip), c.now)
			if valid != c.valid || renew != c.renewIt {
				t.Errorf("check = valid %v, renew %v; want %v, %v", valid, renew, c.valid, c.renewIt)
			}
		})
	}
}

// TestReadCookie: the lengths RFC 7873 §5.2.2 allows (8, or 16 to 40)
// and what the rest become.
func TestReadCookie(t *testing.T) {
	cases := []struct {
		name      string
		hexes     []string
		malformed bool
	}{
		{"client cookie only", []string{"0102030405060708"}, false},
		{"with a 16-byte server cookie", []string{"0102030405060708" + "00112233445566778899aabbccddeeff"}, false},
		{"with the shortest server cookie", []string{"0102030405060708" + "0011223344556677"}, false},
		{"with the longest server cookie", []string{"0102030405060708" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}, false},
		{"empty", []string{""}, true},
		{"7 bytes", []string{"01020304050607"}, true},
		{"9 bytes", []string{"010203040506070809"}, true},
		{"15 bytes", []string{"0102030405060708" + "00112233445566"}, true},
		{"41 bytes", []string{"0102030405060708" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00"}, true},
		{"two options", []string{"0102030405060708", "0102030405060708"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r request
			for _, h := range c.hexes {
				r.readCookie(&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: h})
			}
			if got := r.cookie == cookieMalformed; got != c.malformed || !r.cookieSeen {
				t.Errorf("malformed %v (seen %v), want %v", got, r.cookieSeen, c.malformed)
			}
			if !c.malformed && hex.EncodeToString(r.cookieIn[:r.cookieInLen]) != c.hexes[0] {
				t.Errorf("kept %x, want %s", r.cookieIn[:r.cookieInLen], c.hexes[0])
			}
		})
	}
}

// BenchmarkServerCookie is the cost of making a server cookie (checking
// one costs the same hash).
func BenchmarkServerCookie(b *testing.B) {
	s := mustSecret(b, "e5e973e5a6b2a43f48e7dc849e37bfcf")
	client := mustHex(b, "2464c4abcf10c957")
	ip := netip.MustParseAddr("198.51.100.100")
	b.ReportAllocs()
	for b.Loop() {
		s.cookie(client, ip, 1559731985)
	}
}
