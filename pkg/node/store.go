package node

import (
	"fmt"
	"os"
	"strings"

	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/config"
)

// storeOptions turns the node file's store settings into cluster options.
func storeOptions(n *config.Node, endpoints []string, version string) (cluster.Options, error) {
	o := cluster.Options{
		Endpoints: endpoints,
		Prefix:    n.Store.Prefix,
		Username:  n.Store.Username,
		LeaseTTL:  n.Store.LeaseTTL.Std(),
		// Where it answers is known once it has bound (openStore).
		Self: cluster.Member{ID: n.Node.ID, Region: n.Node.Region, Version: version},
	}
	if n.Store.PasswordFile != "" {
		b, err := os.ReadFile(n.Store.PasswordFile)
		if err != nil {
			return o, fmt.Errorf("reading store.password_file: %w", err)
		}
		o.Password = strings.TrimRight(string(b), "\r\n")
	}
	if n.Store.TLS.CA != "" || n.Store.TLS.Cert != "" {
		t, err := storeTLS(n.Store.TLS)
		if err != nil {
			return o, err
		}
		o.TLS = t
	}
	return o, nil
}
