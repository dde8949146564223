package main

import (
	"bytes"
	"fmt"
	"net/netip"
)

// zone is the zone every service of the benchmark lives in.
const zone = "scale.test."

// serviceName is service i's name.
func serviceName(i int) string { return fmt.Sprintf("s%05d.%s", i, zone) }

// primaryIP and backupIP are service i's two regions' addresses, distinct
// per service so an answer names the region it came from.
func primaryIP(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}) }
func backupIP(i int) netip.Addr  { return netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}) }

// checkName is the name of service i's primary ("p") or backup ("b") check.
func checkName(role string, i int) string { return fmt.Sprintf("%s%05d", role, i) }

// document is the measured one: services failover services of two
// endpoints, each with an http check at the target.
func document(t *target, services int, interval, timeout string, rise, fall int) []byte {
	var b bytes.Buffer
	writeZone(&b)
	b.WriteString("services:\n")
	for i := range services {
		fmt.Fprintf(&b, "  - name: %s\n    policy: failover\n    ttl: 30\n    endpoints:\n", serviceName(i))
		fmt.Fprintf(&b, "      - {id: primary, priority: 1, a: [%s], check: %s}\n", primaryIP(i), checkName("p", i))
		fmt.Fprintf(&b, "      - {id: backup, priority: 2, a: [%s], check: %s}\n", backupIP(i), checkName("b", i))
	}
	b.WriteString("checks:\n")
	for i := range services {
		for _, role := range []string{"p", "b"} {
			fmt.Fprintf(&b, "  - {name: %s, type: http, url: %q, interval: %s, timeout: %s, rise: %d, fall: %d}\n",
				checkName(role, i), t.checkURL(role, i), interval, timeout, rise, fall)
		}
	}
	return b.Bytes()
}

func writeZone(b *bytes.Buffer) {
	fmt.Fprintf(b, "zones:\n  - name: %s\n    ttl: 300\n", zone)
	fmt.Fprintf(b, "    soa: {mname: ns1.%s, rname: hostmaster.%s}\n    ns: [ns1.%s]\n", zone, zone, zone)
	b.WriteString("    records:\n      - {name: ns1, type: A, data: [\"127.0.0.1\"]}\n")
}
