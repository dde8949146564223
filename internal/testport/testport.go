// Package testport finds loopback ports for tests that must name a port
// before something binds it (an embedded etcd's URLs, a node file).
package testport

import (
	"net"
	"testing"
)

// LoopbackURLs returns n http:// URLs on 127.0.0.1 ports that were free
// a moment ago.
func LoopbackURLs(t testing.TB, n int) []string {
	t.Helper()
	var urls []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		urls = append(urls, "http://"+l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return urls
}
