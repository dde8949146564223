package node

import (
	"context"
	"strings"

	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/health"
)

// inProcess names the caller of a change made through the node's Go API
// rather than the admin API, which is the only one that knows a token.
const inProcess = "in-process"

// audited records a change that succeeded in the audit trail, with the
// caller the admin API put in ctx. reason is used when the caller gave
// none. A trail that cannot be written is logged, not returned: the
// change itself is stored and undoing it would be worse.
func (b backend) audited(ctx context.Context, s *cluster.Store, action, target, reason string) {
	c, ok := admin.CallerFrom(ctx)
	if !ok {
		c.Name = inProcess
	}
	if c.Reason != "" {
		reason = c.Reason
	}
	e := audit.Entry{Who: c.Name, When: b.n.now().UTC(), From: c.From, Action: action, Target: target, Reason: reason, Node: b.n.id}
	if err := s.AppendAudit(ctx, e); err != nil {
		b.n.log.Warn("audit entry not stored", "action", action, "target", target, "who", c.Name, "err", err)
	}
}

// endpointTarget is an endpoint as the audit trail names it.
func endpointTarget(service, endpoint string) string {
	return strings.TrimSuffix(service, ".") + "/" + endpoint
}

// overrideAction is the audit action of setting o.
func overrideAction(o health.Override) string {
	if o.State == health.OverrideUp {
		return audit.ActionForceUp
	}
	return audit.ActionDrain
}
