package config

import (
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// parsedRR is what dns.ZoneParser makes of one datum, the reference
// quickRR must match.
func parsedRR(owner, typ string, ttl uint32, data, zone string) (dns.RR, bool) {
	zp := dns.NewZoneParser(strings.NewReader(owner+" "+strconv.FormatUint(uint64(ttl), 10)+" IN "+typ+" "+data), zone, "")
	rr, ok := zp.Next()
	if zp.Err() != nil || !ok {
		return nil, false
	}
	if _, more := zp.Next(); more {
		return nil, false
	}
	return rr, true
}

// checkQuick fails when quickRR makes a record the parser would not
// make, or a different one.
func checkQuick(t *testing.T, owner, typ, data, zone string) (took bool) {
	t.Helper()
	rrtype := dns.StringToType[typ]
	quick, ok := quickRR(owner, rrtype, 300, data, zone)
	if !ok {
		return false
	}
	want, wantOK := parsedRR(owner, typ, 300, data, zone)
	if !wantOK {
		t.Errorf("%s %s %q in %s: quick made %v, the parser refuses it", owner, typ, data, zone, quick)
		return true
	}
	if a, ok := quick.(*dns.A); ok {
		// quickRR keeps an IPv4 address in 4 bytes, the parser in 16.
		if len(a.A) != net.IPv4len {
			t.Errorf("%s A %q: quick holds the address in %d bytes, want 4", owner, data, len(a.A))
		}
		if w, ok := want.(*dns.A); ok && a.A.Equal(w.A) {
			same := *w
			same.A = a.A
			want = &same
		}
	}
	if !reflect.DeepEqual(quick, want) {
		t.Errorf("%s %s %q in %s: quick made %#v, the parser %#v", owner, typ, data, zone, quick, want)
	}
	return true
}

func TestQuickRRMatchesParser(t *testing.T) {
	cases := []struct {
		typ, data string
		quick     bool // whether the quick path takes it
	}{
		{"A", "192.0.2.1", true},
		{"A", "0.0.0.0", true},
		{"A", "255.255.255.255", true},
		{"A", "192.0.2.256", false},
		{"A", "192.0.2", false},
		{"A", "01.2.3.4", false},
		{"A", " 192.0.2.1", false},
		{"A", "192.0.2.1 ; comment", false},
		{"A", "2001:db8::1", false},
		{"AAAA", "2001:db8::1", true},
		{"AAAA", "::", true},
		{"AAAA", "::ffff:192.0.2.1", true},
		{"AAAA", "2001:DB8::A", true},
		{"AAAA", "192.0.2.1", false},
		{"AAAA", "2001:db8::g", false},
		{"CNAME", "www", true},
		{"CNAME", "www.example.net.", true},
		{"CNAME", "@", true},
		{"CNAME", "Mixed.Case", true},
		{"CNAME", "*.wild", true},
		{"CNAME", "_svc._tcp", true},
		{"CNAME", "a..b", false},
		{"CNAME", ".", false},
		{"CNAME", "www\\.x", false},
		{"CNAME", strings.Repeat("a", 64), false},
		{"CNAME", strings.Repeat("a.", 126) + "a", false},
		{"NS", "ns1", true},
		{"NS", "ns1.example.net.", true},
		{"PTR", "host.example.org.", true},
		{"MX", "10 mail", true},
		{"MX", "0 mail.example.net.", true},
		{"MX", "65535 @", true},
		{"MX", "65536 mail", false},
		{"MX", "10  mail", false},
		{"MX", "mail", false},
		{"MX", "-1 mail", false},
		{"TXT", `"v=spf1 -all"`, true},
		{"TXT", `""`, true},
		{"TXT", `"semi;colon"`, true},
		{"TXT", `"quote\"inside"`, false},
		{"TXT", `"tab	inside"`, false},
		{"TXT", `unquoted`, false},
		{"TXT", `"one" "two"`, false},
		{"TXT", `"` + strings.Repeat("x", 255) + `"`, true},
		{"TXT", `"` + strings.Repeat("x", 256) + `"`, false},
		{"SRV", "0 5 5060 sip", false},
	}
	for _, zone := range []string{"example.com.", "."} {
		for _, owner := range []string{zone, "www." + strings.TrimPrefix(zone, "."), "*.wild." + strings.TrimPrefix(zone, "."), "_acme-challenge." + strings.TrimPrefix(zone, ".")} {
			for _, c := range cases {
				// In the root zone a long relative name stays short
				// enough, so what the quick path takes is held to the
				// table in example.com. alone.
				if took := checkQuick(t, owner, c.typ, c.data, zone); took != c.quick && zone != "." {
					t.Errorf("%s %s %q in %s: quick path took it %v, want %v", owner, c.typ, c.data, zone, took, c.quick)
				}
			}
		}
	}
}

// FuzzQuickRR: whatever the datum, the quick path makes the parser's
// record or declines.
func FuzzQuickRR(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "2001:db8::1", "www", "10 mail", `"txt"`, "@", "a.b.", "1.2.3.4.5"} {
		for _, typ := range []string{"A", "AAAA", "CNAME", "NS", "PTR", "MX", "TXT"} {
			f.Add(typ, s)
		}
	}
	f.Fuzz(func(t *testing.T, typ, data string) {
		if strings.ContainsAny(data, "\n\r") || strings.ContainsAny(typ, " \t\n\r;()\"") {
			return
		}
		checkQuick(t, "name.example.com.", strings.ToUpper(typ), data, "example.com.")
	})
}

// BenchmarkRecordRRs: the records of a large zone (A 50%, AAAA 20%, TXT
// 20%, CNAME 10%, as bench memDocument in pkg/resolver), through RRs and
// through the master-file parser alone.
func BenchmarkRecordRRs(b *testing.B) {
	const n = 1000
	recs := make([]Record, n)
	for i := range recs {
		r := Record{Name: "n" + strconv.Itoa(i)}
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			r.Type, r.Data = "A", []string{"192.0.2." + strconv.Itoa(i%250)}
		case 5, 6:
			r.Type, r.Data = "AAAA", []string{"2001:db8::" + strconv.FormatInt(int64(i), 16)}
		case 7, 8:
			r.Type, r.Data = "TXT", []string{`"record ` + strconv.Itoa(i) + `"`}
		default:
			r.Type, r.Data = "CNAME", []string{"n" + strconv.Itoa(i-1)}
		}
		recs[i] = r
	}
	b.Run("RRs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range recs {
				if _, err := recs[i].RRs("example.com.", 300); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("parser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range recs {
				r := &recs[i]
				if _, ok := parsedRR(OwnerName(r.Name, "example.com."), r.Type, 300, r.Data[0], "example.com."); !ok {
					b.Fatal(r)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
}
