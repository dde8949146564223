package admin

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/gtmd/gtmd/pkg/cluster/member"
	"github.com/gtmd/gtmd/pkg/config"
	"github.com/gtmd/gtmd/pkg/health"
	"github.com/gtmd/gtmd/pkg/policy"
)

// Backend is the node the API operates: pkg/node implements it over the
// cluster store, the health checks and the resolver.
type Backend interface {
	// Config returns the traffic document and the revision that stored it.
	Config(ctx context.Context) (*config.Traffic, int64, error)
	// ApplyConfig stores doc (already parsed and validated) when the stored
	// revision is ifRevision (0: any). With dryRun it changes nothing.
	// It returns the revision that stored it, ErrRevisionMismatch, or a
	// *config.ValidationError for faults only the store can see. When doc
	// is the stored document it writes nothing, so the SOA serial stays,
	// and returns the stored revision with ErrUnchanged.
	ApplyConfig(ctx context.Context, doc *config.Traffic, ifRevision int64, dryRun bool) (int64, error)
	// InSync reports, for every live member, whether it serves revision.
	InSync(ctx context.Context, revision int64) ([]MemberSync, error)
	// Health returns every service endpoint's status.
	Health(ctx context.Context) ([]EndpointStatus, error)
	// SetOverride forces an endpoint down or up; ErrNotFound when the
	// service or endpoint does not exist.
	SetOverride(ctx context.Context, service, endpoint string, o health.Override) error
	// DeleteOverride clears it; ErrNoOverride when the endpoint has none,
	// ErrNotFound when the service or endpoint does not exist.
	DeleteOverride(ctx context.Context, service, endpoint string) error
	// SetExternal records an external check's status; ErrNotFound for an
	// unknown check, ErrNotExternal for a check of another type.
	SetExternal(ctx context.Context, check string, healthy bool, ttl time.Duration) error
	// Failover returns the published failover bound of a service's
	// endpoints; ErrNotFound when the served document has no such service.
	Failover(ctx context.Context, service string) (*FailoverBound, error)
	// Members lists the live nodes.
	Members(ctx context.Context) ([]member.Member, error)
	// Explain answers a query as this node would and says why.
	Explain(ctx context.Context, q ExplainQuery) (*Explanation, error)
	// Subscribe delivers events until ctx ends.
	Subscribe(ctx context.Context) (<-chan Event, error)
	// Ready reports whether a snapshot is loaded, and why the node is
	// degraded if it is.
	Ready() (ready bool, degraded string)
}

// Errors a Backend returns that the API maps to statuses.
var (
	ErrRevisionMismatch = errors.New("the stored revision is not the one given in If-Match")
	ErrNotFound         = errors.New("not found")
	ErrNotExternal      = errors.New("the check is not of type external")
	ErrUnavailable      = errors.New("the store is unreachable")
	// ErrNoOverride is clearing the override of an endpoint or a region
	// that has none: nothing to do, which is no failure.
	ErrNoOverride = errors.New("no override to clear")
	// ErrUnchanged is an apply of the document already stored: not a
	// failure, but nothing was written.
	ErrUnchanged = errors.New("the document is the one stored")
	// ErrConflict is a change the current state does not allow, such as
	// a second key rollover while one is in progress (409).
	ErrConflict = errors.New("not possible in the current state")
)

// MemberSync is whether one member serves a revision.
type MemberSync struct {
	ID       string `json:"id"`
	Revision int64  `json:"revision"`
	InSync   bool   `json:"in_sync"`
}

// Observation is one node's latest result for a check.
type Observation struct {
	Node    string `json:"node"`
	Healthy bool   `json:"healthy"`
	Status  string `json:"status"` // up | down | unknown
	// Since is when the node's status of the check last changed.
	Since   time.Time `json:"since,omitzero"`
	Latency string    `json:"latency,omitempty"`
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// EndpointStatus is an endpoint's health as the cluster sees it.
type EndpointStatus struct {
	Service      string           `json:"service"`
	Endpoint     string           `json:"endpoint"`
	Check        string           `json:"check,omitempty"`
	Healthy      bool             `json:"healthy"`
	Since        time.Time        `json:"since,omitzero"`
	Reason       string           `json:"reason"`
	Override     *health.Override `json:"override,omitempty"`
	Observations []Observation    `json:"observations,omitempty"`
	// Target is what the endpoint's host name resolves to on this node,
	// for an endpoint named by one.
	Target *TargetStatus `json:"target,omitempty"`
}

// ExplainQuery is what GET /v1/explain asks.
type ExplainQuery struct {
	Name   string
	QType  uint16
	Client netip.Addr   // the source address to answer for
	ECS    netip.Prefix // the client subnet, if any
}

// Explanation is the answer and every step of why.
type Explanation struct {
	Node      string            `json:"node"`
	Name      string            `json:"name"`
	Type      string            `json:"type"`
	Rcode     string            `json:"rcode"`
	Answer    []string          `json:"answer"`
	Authority []string          `json:"authority,omitempty"`
	Scope     int               `json:"ecs_scope"`
	Service   string            `json:"service,omitempty"`
	Client    ExplainClient     `json:"client"`
	Endpoints []ExplainEndpoint `json:"endpoints,omitempty"`
	Trace     policy.Trace      `json:"trace"`
	// DNSSEC says whether the answer was signed and with which keys;
	// nil when the node does not say (it has no DNSSEC).
	DNSSEC *ExplainDNSSEC `json:"dnssec,omitempty"`
}

// ExplainDNSSEC is whether an explained answer was signed.
type ExplainDNSSEC struct {
	Signed bool `json:"signed"`
	// Algorithm is the signing keys' algorithm as the traffic document
	// names it (ecdsap256sha256, ed25519), when Signed.
	Algorithm string `json:"algorithm,omitempty"`
	// KeyTags are the tags of the keys whose RRSIGs the answer carries,
	// when Signed.
	KeyTags []uint16 `json:"key_tags,omitempty"`
	// Reason says why it was not signed, such as "the zone is not
	// signed"; explain answers as to a query with DO.
	Reason string `json:"reason,omitempty"`
}

// ExplainClient is the client as the policy saw it.
type ExplainClient struct {
	Address     string `json:"address"`
	Subnet      string `json:"subnet"`
	Located     bool   `json:"located"`
	Country     string `json:"country,omitempty"`
	Subdivision string `json:"subdivision,omitempty"`
	Continent   string `json:"continent,omitempty"`
	Network     string `json:"network,omitempty"`
}

// ExplainEndpoint is an endpoint's health as the answer saw it.
type ExplainEndpoint struct {
	ID      string `json:"id"`
	Healthy bool   `json:"healthy"`
	// Reason is why the endpoint has its health on this node: its check's
	// verdict, or the operator's override (a drain) that decided it.
	Reason string `json:"reason,omitempty"`
	// Target is what the endpoint's host name resolved to, for an
	// endpoint named by one.
	Target *TargetStatus `json:"target,omitempty"`
}
