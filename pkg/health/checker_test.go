package health_test

import (
	"testing"

	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
)

func TestNewChecker(t *testing.T) {
	tests := []struct {
		c      config.Check
		want   string
		failed bool
	}{
		{config.Check{Name: "h", Type: config.CheckHTTP, URL: "http://127.0.0.1/"}, "*health.HTTPChecker", false},
		{config.Check{Name: "h", Type: config.CheckHTTPS, URL: "https://127.0.0.1/"}, "*health.HTTPChecker", false},
		{config.Check{Name: "t", Type: config.CheckTCP, Address: "127.0.0.1:80"}, "*health.TCPChecker", false},
		{config.Check{Name: "d", Type: config.CheckDNS, Address: "127.0.0.1:53", Query: "a."}, "*health.DNSChecker", false},
		{config.Check{Name: "c", Type: config.CheckCalculated}, "", true},
		{config.Check{Name: "e", Type: config.CheckExternal}, "", true},
		{config.Check{Name: "x", Type: "smoke"}, "", true},
	}
	for _, tt := range tests {
		c, err := health.NewChecker(tt.c, nil)
		if (err != nil) != tt.failed {
			t.Errorf("%s: err %v", tt.c.Type, err)
			continue
		}
		if err == nil {
			if got := typeName(c); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.c.Type, got, tt.want)
			}
		}
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *health.HTTPChecker:
		return "*health.HTTPChecker"
	case *health.TCPChecker:
		return "*health.TCPChecker"
	case *health.DNSChecker:
		return "*health.DNSChecker"
	}
	return "?"
}
