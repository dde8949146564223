package node

import (
	"fmt"

	"github.com/gtmd/gtmd/geo"
)

// openGeo opens the node file's GeoIP databases, if any.
func (n *Node) openGeo() error {
	g := n.cfg.GeoIP
	if g.Database == "" {
		n.log.Warn("no geoip database configured: location policies answer with their default endpoints")
		return nil
	}
	p, err := geo.NewProvider(g.Database, g.ASNDatabase, geo.ProviderOptions{})
	if err != nil {
		return fmt.Errorf("node: opening geoip.database: %w", err)
	}
	n.geo, n.locator = p, p
	n.log.Info("geoip database loaded", "path", g.Database, "kind", p.Kind())
	return nil
}

// reloader is a Locator that can reopen its databases.
type reloader interface{ Reload() error }

// ReloadGeo opens the GeoIP databases again (gtmd reloads on SIGHUP):
// answers use the new ones from the next query, and the old ones stay
// on error. A Locator given in Options is reloaded if it has a Reload
// method. Either way the decisions remembered per client network go.
func (n *Node) ReloadGeo() error {
	var r reloader
	switch {
	case n.geo != nil:
		r = n.geo
	default:
		r, _ = n.locator.(reloader)
	}
	if r == nil {
		n.log.Info("no geoip database to reload; remembered answers dropped")
	} else if err := r.Reload(); err != nil {
		return fmt.Errorf("reloading the geoip database; the current one stays: %w", err)
	}
	n.republish()
	if n.geo != nil {
		n.log.Info("geoip database reloaded", "kind", n.geo.Kind())
	}
	return nil
}
