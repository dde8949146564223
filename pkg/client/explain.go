package client

import (
	"context"
	"net/url"

	"github.com/gtmd/gtmd/pkg/admin"
)

// ExplainQuery is a question for Explain and ExplainAll.
type ExplainQuery struct {
	// Name is the name asked, with or without its trailing dot.
	Name string
	// Type is a DNS type such as A or AAAA; empty is A.
	Type string
	// Client is the address to answer for; empty is the caller's as
	// the node sees it.
	Client string
	// ECS is an EDNS Client Subnet such as 198.51.100.0/24, if any.
	ECS string
}

func (q ExplainQuery) values() url.Values {
	v := url.Values{"name": {q.Name}}
	for key, val := range map[string]string{"type": q.Type, "client": q.Client, "ecs": q.ECS} {
		if val != "" {
			v.Set(key, val)
		}
	}
	return v
}

// Explain returns the answer the node gives to q and every step of why.
func (c *Client) Explain(ctx context.Context, q ExplainQuery) (*admin.Explanation, error) {
	var ex admin.Explanation
	if err := c.getJSON(ctx, "/v1/explain", q.values(), &ex); err != nil {
		return nil, err
	}
	return &ex, nil
}

// ExplainAll asks every live node the same question, through this one,
// and says whether they agree. A node that could not be asked is in the
// answer with its error; the call itself fails only when this node
// refuses it.
func (c *Client) ExplainAll(ctx context.Context, q ExplainQuery) (*admin.ExplainAll, error) {
	v := q.values()
	v.Set("all_nodes", "1")
	var all admin.ExplainAll
	if err := c.getJSON(ctx, "/v1/explain", v, &all); err != nil {
		return nil, err
	}
	return &all, nil
}
