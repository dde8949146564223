package resolver_test

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// sendFlood writes n queries on conn, query(i) with the ID i, without
// waiting for replies, as a flood from one client arrives.
func sendFlood(tb testing.TB, conn net.Conn, n int, query func(i int) *dns.Msg) {
	tb.Helper()
	for i := range n {
		q := query(i)
		q.Id = uint16(i)
		b, err := q.Pack()
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := conn.Write(b); err != nil {
			tb.Fatal(err)
		}
	}
}
