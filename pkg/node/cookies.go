package node

import (
	"fmt"

	"github.com/gtmd/gtmd/pkg/cluster"
)

// keepCookieSecrets hands the cluster's shared cookie secrets to the
// handler as they are created and rotated, so a cookie one node gives is
// good at every other. Until the store answers, the handler keeps the
// random secret it started with, which makes cookies good at this node
// only.
func (n *Node) keepCookieSecrets() error {
	c := n.cfg.Cookies
	if !c.Enabled {
		return nil
	}
	err := n.store.KeepCookieSecrets(cluster.CookieSecretOptions{
		Rotation: c.SecretRotation.Std(),
		OnChange: func(cs cluster.CookieSecrets) { n.handler.SetCookieSecrets(cs.Current, cs.Previous) },
	})
	if err != nil {
		return fmt.Errorf("keeping the cookie secret: %w", err)
	}
	return nil
}
