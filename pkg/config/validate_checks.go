package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// identRE is what check names and endpoint ids look like: they appear in
// URLs, metric labels and etcd keys.
var identRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// MinInterval is the shortest check interval accepted.
const MinInterval = 100 * time.Millisecond

// validateChecks fills check defaults, records faults and returns the
// checks by name.
func validateChecks(checks []Check, l *faultList) map[string]*Check {
	byName := map[string]*Check{}
	for i := range checks {
		c := &checks[i]
		path := fmt.Sprintf("checks[%d]", i)
		if !identRE.MatchString(c.Name) {
			l.addf(path+".name", "%q is not a valid check name (letters, digits, '-', '_', '.'; at most 63)", c.Name)
		} else if _, dup := byName[c.Name]; dup {
			l.addf(path+".name", "check %q is already defined", c.Name)
		} else {
			byName[c.Name] = c
		}
		validateCheck(c, path, l)
	}
	for i := range checks {
		c := &checks[i]
		if c.Type != CheckCalculated {
			continue
		}
		for j, child := range c.Children {
			if _, ok := byName[child]; !ok {
				l.addf(fmt.Sprintf("checks[%d].children[%d]", i, j), "check %q does not exist", child)
			}
		}
	}
	for i := range checks {
		if cycle := calculatedCycle(&checks[i], byName); cycle != nil {
			l.addf(fmt.Sprintf("checks[%d].children", i), "calculated checks form a cycle: %s", strings.Join(cycle, " -> "))
		}
	}
	return byName
}

func validateCheck(c *Check, path string, l *faultList) {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
		if c.Interval > 0 {
			c.Timeout = min(c.Timeout, c.Interval)
		}
	}
	if c.Rise == 0 {
		c.Rise = DefaultRise
	}
	if c.Fall == 0 {
		c.Fall = DefaultFall
	}
	if c.Interval.Std() < MinInterval {
		l.addf(path+".interval", "%v is shorter than the minimum, %v", c.Interval.Std(), MinInterval)
	}
	// A timeout is judged against an interval only when that is valid,
	// so one bad interval is one fault.
	if c.Timeout <= 0 || (c.Interval.Std() >= MinInterval && c.Timeout > c.Interval) {
		l.addf(path+".timeout", "%v must be positive and at most the interval (%v)", c.Timeout.Std(), c.Interval.Std())
	}
	if c.Rise < 1 {
		l.addf(path+".rise", "must be at least 1")
	}
	if c.Fall < 1 {
		l.addf(path+".fall", "must be at least 1")
	}
	for i, s := range c.ExpectStatus {
		if s < 100 || s > 599 {
			l.addf(fmt.Sprintf("%s.expect_status[%d]", path, i), "%d is not an HTTP status", s)
		}
	}
	validateVantage(c, path, l)
	switch c.Type {
	case CheckHTTP, CheckHTTPS:
		u, err := url.Parse(c.URL)
		switch {
		case c.URL == "":
			l.addf(path+".url", "an %s check needs a url", c.Type)
		case err != nil || u.Host == "":
			l.addf(path+".url", "%q is not an absolute URL", c.URL)
		case u.Scheme != c.Type:
			l.addf(path+".url", "%q does not match check type %s (want an %s:// URL)", c.URL, c.Type, c.Type)
		}
		if len(c.ExpectStatus) == 0 {
			c.ExpectStatus = []int{200}
		}
	case CheckTCP:
		validateHostPort(c.Address, path+".address", c.Type, l)
	case CheckDNS:
		validateHostPort(c.Address, path+".address", c.Type, l)
		if n, ok := validateName(path+".query", c.Query, l); ok {
			c.Query = n
		}
		if c.QType == "" {
			c.QType = "A"
		}
		if _, ok := dns.StringToType[strings.ToUpper(c.QType)]; !ok {
			l.addf(path+".qtype", "%q is not a record type", c.QType)
		}
		c.QType = strings.ToUpper(c.QType)
	case CheckCalculated:
		if len(c.Children) == 0 {
			l.addf(path+".children", "a calculated check needs children")
		}
		if c.MinHealthy < 1 || c.MinHealthy > len(c.Children) {
			l.addf(path+".min_healthy", "%d must be between 1 and the number of children (%d)", c.MinHealthy, len(c.Children))
		}
	case CheckExternal:
	case "":
		l.addf(path+".type", "must be set (http, https, tcp, dns, calculated, external)")
	default:
		l.addf(path+".type", "%q is not one of http, https, tcp, dns, calculated, external", c.Type)
	}
}

// validateVantage checks a sharded check's vantage; the check's name is
// in the message because a list index alone is hard to find in a long
// document.
func validateVantage(c *Check, path string, l *faultList) {
	if c.Vantage == nil {
		return
	}
	switch {
	case c.Type == CheckCalculated || c.Type == CheckExternal:
		l.addf(path+".vantage", "check %q: %s checks are not probed, so they have no vantage points", c.Name, c.Type)
	case c.Vantage.PerRegion < 1:
		l.addf(path+".vantage.per_region", "check %q: %d must be at least 1 (leave vantage out for every node to probe it)", c.Name, c.Vantage.PerRegion)
	}
}

func validateHostPort(addr, field, typ string, l *faultList) {
	if addr == "" {
		l.addf(field, "a %s check needs an address (host:port)", typ)
		return
	}
	if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
		l.addf(field, "%q is not a host:port address", addr)
	}
}

// calculatedCycle returns the names along a cycle of calculated checks
// that starts and ends at c, or nil. Each cycle is reported once, from its
// member whose name sorts first: the search passes only through checks
// that sort after c, and visits each at most once, so it takes time in
// proportion to the checks and children however they are wired.
func calculatedCycle(c *Check, byName map[string]*Check) []string {
	if c.Type != CheckCalculated || byName[c.Name] != c {
		return nil
	}
	visited := map[string]bool{}
	path := []string{c.Name}
	var visit func(n *Check) bool
	visit = func(n *Check) bool {
		for _, name := range n.Children {
			if name == c.Name {
				path = append(path, name)
				return true
			}
			child, ok := byName[name]
			if !ok || child.Type != CheckCalculated || name < c.Name || visited[name] {
				continue
			}
			visited[name] = true
			path = append(path, name)
			if visit(child) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	if visit(c) {
		return path
	}
	return nil
}
