package config_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
)

// scaleDocument is a document of n failover services of two endpoints,
// each with an http check, written as an operator (or bench/scale) would.
func scaleDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString("zones:\n  - name: scale.test.\n    ttl: 300\n    soa: {mname: ns1.scale.test., rname: hostmaster.scale.test.}\n    ns: [ns1.scale.test.]\n")
	b.WriteString("    records:\n      - {name: ns1, type: A, data: [\"127.0.0.1\"]}\nservices:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: s%05d.scale.test.\n    policy: failover\n    ttl: 30\n    endpoints:\n", i)
		fmt.Fprintf(&b, "      - {id: primary, priority: 1, a: [10.1.%d.%d], check: p%05d}\n", i>>8, i&255, i)
		fmt.Fprintf(&b, "      - {id: backup, priority: 2, a: [10.2.%d.%d], check: b%05d}\n", i>>8, i&255, i)
	}
	b.WriteString("checks:\n")
	for i := range n {
		for _, role := range []string{"p", "b"} {
			fmt.Fprintf(&b, "  - {name: %s%05d, type: http, url: \"http://127.0.0.1:8080/%s/%d\", interval: 1s, timeout: 1s, rise: 2, fall: 2}\n", role, i, role, i)
		}
	}
	return b.Bytes()
}

// BenchmarkParseTraffic is the work of an apply of 1,000 services before
// the store: what the admin API does with the body.
func BenchmarkParseTraffic(b *testing.B) {
	src := scaleDocument(1000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := config.ParseTraffic("bench", src, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTrafficZoneFile is gtmd validate's work on a document
// whose zone_file holds 21,000 records with a name each, about the most
// a document can store of those: the file parsed as it is read, merged,
// validated.
func BenchmarkParseTrafficZoneFile(b *testing.B) {
	dir := b.TempDir()
	var z bytes.Buffer
	z.WriteString("$TTL 300\n")
	for i := range 21_000 {
		fmt.Fprintf(&z, "h%d IN A 10.%d.%d.%d\n", i, i>>16&255, i>>8&255, i&255)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.zone"), z.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	src := []byte("zones:\n  - name: big.test.\n    ttl: 300\n    soa: {mname: ns1.big.test., rname: hostmaster.big.test.}\n    ns: [ns1.big.test.]\n" +
		"    records: [{name: ns1, type: A, data: [\"192.0.2.53\"]}]\n    zone_file: big.zone\n")
	b.SetBytes(int64(z.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := config.ParseTraffic("bench", src, dir); err != nil {
			b.Fatal(err)
		}
	}
}
