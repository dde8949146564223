package config

// Traffic is the traffic document: the zones gtmd is authoritative for, the
// services whose answers follow health and location, and the checks that
// observe them. Every node of a cluster serves the same one.
type Traffic struct {
	Zones    []Zone    `yaml:"zones" json:"zones"`
	Services []Service `yaml:"services,omitempty" json:"services,omitempty"`
	Checks   []Check   `yaml:"checks,omitempty" json:"checks,omitempty"`
	Settings Settings  `yaml:"settings,omitempty" json:"settings"`
}

// Zone is one zone served authoritatively.
type Zone struct {
	// Name is the zone apex, a fully qualified name.
	Name string `yaml:"name" json:"name"`
	// TTL is the default TTL of static records and the TTL of the SOA and
	// apex NS records.
	TTL     *uint32  `yaml:"ttl,omitempty" json:"ttl,omitempty"`
	SOA     SOA      `yaml:"soa" json:"soa"`
	NS      []string `yaml:"ns" json:"ns"`
	Records []Record `yaml:"records,omitempty" json:"records,omitempty"`
	// ZoneFile is an RFC 1035 master file whose records are merged into
	// Records when the document is loaded. A relative path is taken from
	// the traffic document's directory.
	ZoneFile string `yaml:"zone_file,omitempty" json:"zone_file,omitempty"`
	// DNSSEC signs the zone; nil (the default) serves it unsigned.
	DNSSEC *ZoneDNSSEC `yaml:"dnssec,omitempty" json:"dnssec,omitempty"`
	// AllowTransfer lists who may transfer the zone (AXFR, IXFR); empty
	// refuses every transfer.
	AllowTransfer []TransferACL `yaml:"allow_transfer,omitempty" json:"allow_transfer,omitempty"`
	// Notify are the IP:port addresses of secondaries told of each new
	// serial (RFC 1996).
	Notify []string `yaml:"notify,omitempty" json:"notify,omitempty"`
	// TransferServices puts service names into transfers; nil means
	// true (see TransfersServices).
	TransferServices *bool `yaml:"transfer_services,omitempty" json:"transfer_services,omitempty"`
	// UpdatePolicy lists what each TSIG key may change by RFC 2136
	// UPDATE; empty refuses every update.
	UpdatePolicy []UpdateRule `yaml:"update_policy,omitempty" json:"update_policy,omitempty"`
	// Primary, when set, makes the zone a secondary of a primary name
	// server for its static records (AXFR); nil: they are the document's
	// and the zone's own data.
	Primary *ZonePrimary `yaml:"primary,omitempty" json:"primary,omitempty"`
}

// SOA holds the zone's SOA fields but the serial, which gtmd derives from
// the document's revision.
type SOA struct {
	MName   string `yaml:"mname" json:"mname"`
	RName   string `yaml:"rname" json:"rname"`
	Refresh uint32 `yaml:"refresh,omitempty" json:"refresh,omitempty"`
	Retry   uint32 `yaml:"retry,omitempty" json:"retry,omitempty"`
	Expire  uint32 `yaml:"expire,omitempty" json:"expire,omitempty"`
	// Minimum is the negative-caching TTL (RFC 2308).
	Minimum uint32 `yaml:"minimum,omitempty" json:"minimum,omitempty"`
}

// Record is a static RRset: one owner, one type, and the RDATA of each
// record in presentation format.
type Record struct {
	// Name is relative to the zone ("www", "@" for the apex) or fully
	// qualified inside it ("www.example.com.").
	Name string   `yaml:"name" json:"name"`
	Type string   `yaml:"type" json:"type"`
	TTL  *uint32  `yaml:"ttl,omitempty" json:"ttl,omitempty"`
	Data []string `yaml:"data" json:"data"`
	// Wire, when set, holds the records RRs returns, Data already parsed
	// and packed (the store's copy of a zone keeps them so, so that a
	// change of one RRset parses that one alone, and a snapshot serves
	// them as they are). Not part of the document.
	Wire WireRRset `yaml:"-" json:"-"`
}

// Policy names how a service picks endpoints.
const (
	PolicyFailover     = "failover"
	PolicyGeo          = "geo"
	PolicyLatency      = "latency"
	PolicyGeoproximity = "geoproximity"
	PolicyWeighted     = "weighted"
	PolicyMultivalue   = "multivalue"
)

// WhenAllDown values other than an endpoint id.
const (
	AllDownAll  = "all"
	AllDownNone = "none"
)

// Service is a name whose answer is chosen among endpoints by a policy.
type Service struct {
	Name       string  `yaml:"name" json:"name"`
	Policy     string  `yaml:"policy" json:"policy"`
	TTL        *uint32 `yaml:"ttl,omitempty" json:"ttl,omitempty"`
	MaxAnswers int     `yaml:"max_answers,omitempty" json:"max_answers,omitempty"`
	// WhenAllDown is all (answer every endpoint, failing open as Route 53
	// does), none (NODATA), or the id of the endpoint to answer.
	WhenAllDown string     `yaml:"when_all_down,omitempty" json:"when_all_down,omitempty"`
	Endpoints   []Endpoint `yaml:"endpoints" json:"endpoints"`
}

// LatLon is a point on Earth in degrees.
type LatLon struct {
	Lat float64 `yaml:"lat" json:"lat"`
	Lon float64 `yaml:"lon" json:"lon"`
}

// Endpoint is one place a service can send clients, usually a region.
type Endpoint struct {
	ID string `yaml:"id" json:"id"`
	// Region groups endpoints of every service that an operator drains
	// or forces up together (PUT /v1/regions/{region}/override); empty
	// means the endpoint's id (RegionName).
	Region     string   `yaml:"region,omitempty" json:"region,omitempty"`
	Location   *LatLon  `yaml:"location,omitempty" json:"location,omitempty"`
	Countries  []string `yaml:"countries,omitempty" json:"countries,omitempty"`
	Continents []string `yaml:"continents,omitempty" json:"continents,omitempty"`
	Networks   []string `yaml:"networks,omitempty" json:"networks,omitempty"`
	Default    bool     `yaml:"default,omitempty" json:"default,omitempty"`
	Priority   int      `yaml:"priority,omitempty" json:"priority,omitempty"`
	// Weight is the share of answers under the weighted policy; nil means 1.
	// Weight 0 is answered only when every other endpoint is down.
	Weight *int     `yaml:"weight,omitempty" json:"weight,omitempty"`
	Bias   int      `yaml:"bias,omitempty" json:"bias,omitempty"`
	A      []string `yaml:"a,omitempty" json:"a,omitempty"`
	AAAA   []string `yaml:"aaaa,omitempty" json:"aaaa,omitempty"`
	CNAME  string   `yaml:"cname,omitempty" json:"cname,omitempty"`
	// Target names a host (a cloud load balancer) whose addresses each
	// node looks up and answers with, following their changes; an
	// absolute name, lower case once validated.
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
	Check  string `yaml:"check,omitempty" json:"check,omitempty"`
}

// RegionName is the endpoint's region with the default applied: an
// endpoint that names none is a region of its own, called by its id.
func (e *Endpoint) RegionName() string {
	if e.Region == "" {
		return e.ID
	}
	return e.Region
}

// EffectiveWeight is the endpoint's weight with the default applied.
func (e *Endpoint) EffectiveWeight() int {
	if e.Weight == nil {
		return 1
	}
	return *e.Weight
}

// Check types.
const (
	CheckHTTP       = "http"
	CheckHTTPS      = "https"
	CheckTCP        = "tcp"
	CheckDNS        = "dns"
	CheckCalculated = "calculated"
	CheckExternal   = "external"
)

// Check is how the health of endpoints is observed.
type Check struct {
	Name string `yaml:"name" json:"name"`
	Type string `yaml:"type" json:"type"`
	// URL is the target of http and https checks.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Host is the Host header and TLS server name of http and https checks.
	Host               string `yaml:"host,omitempty" json:"host,omitempty"`
	ExpectStatus       []int  `yaml:"expect_status,omitempty" json:"expect_status,omitempty"`
	ExpectBody         string `yaml:"expect_body,omitempty" json:"expect_body,omitempty"`
	FollowRedirects    bool   `yaml:"follow_redirects,omitempty" json:"follow_redirects,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// Address is host:port for tcp checks and the server of dns checks.
	Address string `yaml:"address,omitempty" json:"address,omitempty"`
	// Query and QType are what a dns check asks (QType defaults to A).
	Query    string   `yaml:"query,omitempty" json:"query,omitempty"`
	QType    string   `yaml:"qtype,omitempty" json:"qtype,omitempty"`
	Interval Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	Timeout  Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Rise     int      `yaml:"rise,omitempty" json:"rise,omitempty"`
	Fall     int      `yaml:"fall,omitempty" json:"fall,omitempty"`
	// Children and MinHealthy define a calculated check: healthy when at
	// least MinHealthy of the children are.
	Children   []string `yaml:"children,omitempty" json:"children,omitempty"`
	MinHealthy int      `yaml:"min_healthy,omitempty" json:"min_healthy,omitempty"`
	// Vantage, when set, shards a probed check: only some nodes of each
	// region probe it and the others use their results. Nil is every
	// node probing it.
	Vantage *Vantage `yaml:"vantage,omitempty" json:"vantage,omitempty"`
}

// Vantage says which nodes probe a sharded check: with thousands of
// checks and tens of nodes, every node probing every target costs the
// targets and the store more than a few vantage points per region say.
type Vantage struct {
	// PerRegion is how many live nodes of each region probe the check;
	// a region with fewer has all of its nodes probe it.
	PerRegion int `yaml:"per_region" json:"per_region"`
}

// Settings are cluster-wide knobs.
type Settings struct {
	// HealthQuorum is the share of fresh observations that must say healthy
	// for an endpoint to be healthy.
	HealthQuorum float64 `yaml:"health_quorum,omitempty" json:"health_quorum,omitempty"`
}

// Defaults applied by ParseTraffic where the document is silent.
const (
	DefaultZoneTTL      = 3600
	DefaultServiceTTL   = 60
	DefaultSOARefresh   = 7200
	DefaultSOARetry     = 900
	DefaultSOAExpire    = 1209600
	DefaultSOAMinimum   = 60
	DefaultInterval     = Duration(10e9)
	DefaultTimeout      = Duration(2e9)
	DefaultRise         = 2
	DefaultFall         = 2
	DefaultHealthQuorum = 0.5
	// MaxMultivalueAnswers is the most endpoints one answer holds.
	MaxMultivalueAnswers = 8
)
