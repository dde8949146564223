// Package member is a node's entry in the cluster: who it is, where it
// answers and what it serves. It is a package of its own, linking
// nothing of etcd, so that the admin API and its Go client can name a
// member without linking the store's client.
package member

import "time"

// Member is one live node, as it registers itself in the store and as
// GET /v1/members lists it.
type Member struct {
	ID     string   `json:"id"`
	Region string   `json:"region"`
	DNS    []string `json:"dns"`
	// Admin is the base URL of the node's admin API.
	Admin   string `json:"admin"`
	Version string `json:"version"`
	// Revision is the traffic document revision the node serves.
	Revision  int64     `json:"revision"`
	StartedAt time.Time `json:"started_at,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
}
