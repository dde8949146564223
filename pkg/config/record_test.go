package config

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestOwnerName(t *testing.T) {
	for _, tc := range []struct{ name, zone, want string }{
		{"@", "example.com.", "example.com."},
		{"", "example.com.", "example.com."},
		{"www", "example.com.", "www.example.com."},
		{"WWW.Sub", "Example.COM.", "www.sub.example.com."},
		{"www.example.com.", "example.com.", "www.example.com."},
		{"Other.Example.NET.", "example.com.", "other.example.net."},
		{"*.static", "example.com", "*.static.example.com."},
	} {
		if got := OwnerName(tc.name, tc.zone); got != tc.want {
			t.Errorf("OwnerName(%q, %q) = %q, want %q", tc.name, tc.zone, got, tc.want)
		}
	}
}

func TestRecordRRs(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  Record
		ttl  uint32
		// want holds the records in presentation format, tabs as spaces.
		want []string
	}{
		{"relative name in MX data", Record{Name: "@", Type: "MX", Data: []string{"10 mail", "20 mail.example.net."}}, 300,
			[]string{"example.com. 300 IN MX 10 mail.example.com.", "example.com. 300 IN MX 20 mail.example.net."}},
		{"apex in data", Record{Name: "www", Type: "CNAME", Data: []string{"@"}}, 300,
			[]string{"www.example.com. 300 IN CNAME example.com."}},
		{"relative owner and target", Record{Name: "Docs", Type: "cname", Data: []string{"www"}}, 60,
			[]string{"docs.example.com. 60 IN CNAME www.example.com."}},
		{"record TTL overrides the zone's", Record{Name: "www", Type: "A", TTL: new(uint32(30)), Data: []string{"192.0.2.1", "192.0.2.2"}}, 300,
			[]string{"www.example.com. 30 IN A 192.0.2.1", "www.example.com. 30 IN A 192.0.2.2"}},
		{"TTL 0 is kept", Record{Name: "www", Type: "A", TTL: new(uint32(0)), Data: []string{"192.0.2.1"}}, 300,
			[]string{"www.example.com. 0 IN A 192.0.2.1"}},
		{"absolute owner", Record{Name: "www.example.com.", Type: "AAAA", Data: []string{"2001:db8::1"}}, 3600,
			[]string{"www.example.com. 3600 IN AAAA 2001:db8::1"}},
		{"SRV with a relative target", Record{Name: "_sip._tcp", Type: "SRV", Data: []string{"10 60 5060 sip"}}, 300,
			[]string{"_sip._tcp.example.com. 300 IN SRV 10 60 5060 sip.example.com."}},
		{"TXT with spaces", Record{Name: "@", Type: "TXT", Data: []string{`"v=spf1 mx -all" "second"`}}, 300,
			[]string{`example.com. 300 IN TXT "v=spf1 mx -all" "second"`}},
		{"CAA", Record{Name: "@", Type: "CAA", Data: []string{`0 issue "letsencrypt.org"`}}, 300,
			[]string{`example.com. 300 IN CAA 0 issue "letsencrypt.org"`}},
		{"a comment after the data", Record{Name: "www", Type: "A", Data: []string{"192.0.2.1 ; web"}}, 300,
			[]string{"www.example.com. 300 IN A 192.0.2.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rrs, err := tc.rec.RRs("Example.com.", tc.ttl)
			if err != nil {
				t.Fatalf("RRs: %v", err)
			}
			got := make([]string, len(rrs))
			for i, rr := range rrs {
				got[i] = strings.ReplaceAll(rr.String(), "\t", " ")
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestRecordRRsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  Record
		want string
	}{
		{"bad A", Record{Name: "www", Type: "A", Data: []string{"192.0.2.1", "192.0.2.300"}},
			`data[1] "192.0.2.300" is not valid A data: bad A A: "192.0.2.300"`},
		{"bad MX", Record{Name: "@", Type: "MX", Data: []string{"ten mail"}},
			`data[0] "ten mail" is not valid MX data: bad MX Pref: "ten"`},
		{"two lines", Record{Name: "www", Type: "A", Data: []string{"192.0.2.1\n192.0.2.2"}},
			`data[0] "192.0.2.1\n192.0.2.2": must be one line`},
		{"a directive cannot hide in data", Record{Name: "www", Type: "TXT", Data: []string{"x\r$INCLUDE /etc/passwd"}},
			`data[0] "x\r$INCLUDE /etc/passwd": must be one line`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.rec.RRs("example.com.", 300)
			if got := errText(err); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestRecordRRsMatchType checks that parsed records carry the type named,
// so a record's type cannot be changed through its data.
func TestRecordRRsMatchType(t *testing.T) {
	rrs, err := (&Record{Name: "www", Type: "TXT", Data: []string{`"a" IN A 192.0.2.1`}}).RRs("example.com.", 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(rrs) != 1 || rrs[0].Header().Rrtype != dns.TypeTXT {
		t.Errorf("got %v, want one TXT record", rrs)
	}
}
