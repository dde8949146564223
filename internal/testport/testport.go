// Package testport finds loopback ports for tests that must name a port
// before something binds it (an embedded etcd's URLs, a node file).
package testport

import (
	"net"
	"strconv"
	"testing"
)

// Ports returns n distinct TCP ports free on 127.0.0.1 a moment ago.
func Ports(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	var ls []net.Listener
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// LoopbackURLs returns n http:// URLs on 127.0.0.1 ports that were free
// a moment ago.
func LoopbackURLs(t testing.TB, n int) []string {
	t.Helper()
	var urls []string
	for _, p := range Ports(t, n) {
		urls = append(urls, "http://127.0.0.1:"+strconv.Itoa(p))
	}
	return urls
}
