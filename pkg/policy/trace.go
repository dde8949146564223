package policy

import "fmt"

// Trace records how Select reached its answer, for GET /v1/explain and
// `gtmd explain`. Select only appends to it, and only when it is non-nil.
type Trace struct {
	// Steps is everything Select looked at and decided, in order.
	Steps []Step `json:"steps"`
	// Rule names the rule that chose the answer, as "network pin",
	// "geo: country US", "latency: nearest" or "when_all_down: all".
	Rule string `json:"rule"`
	// Random is set when the choice was drawn at random (weighted and
	// multivalue): another draw may pick other endpoints, so answers are
	// compared by rule and health, not by records.
	Random bool `json:"random,omitempty"`
}

// Step is one thing Select looked at or decided.
type Step struct {
	// Kind is one of the Step* constants.
	Kind string `json:"kind"`
	// Endpoint is the endpoint id the step is about, if any.
	Endpoint string `json:"endpoint,omitempty"`
	// Detail says what was seen or decided, for people.
	Detail string `json:"detail"`
}

// Step kinds.
const (
	// StepClient describes the client: address, known bits, location.
	StepClient = "client"
	// StepHealth says how many endpoints are healthy.
	StepHealth = "health"
	// StepAllDown says what when_all_down did.
	StepAllDown = "when_all_down"
	// StepPin is a networks pin that matched, or that none did.
	StepPin = "pin"
	// StepCandidate is an endpoint considered, with its health and, where
	// it counts, its priority, weight or distance.
	StepCandidate = "candidate"
	// StepLevel is a geo level (subdivision, country, continent, default)
	// and what it matched.
	StepLevel = "level"
	// StepFallback is a rule that could not decide, and what is tried next.
	StepFallback = "fallback"
	// StepChose is an endpoint put in the answer.
	StepChose = "chose"
	// StepScope is the ECS scope returned and the network it covers.
	StepScope = "scope"
)

// addf appends a step. Callers check t != nil first, so that the hot path
// never builds the arguments.
func (t *Trace) addf(kind, endpoint, format string, args ...any) {
	t.Steps = append(t.Steps, Step{Kind: kind, Endpoint: endpoint, Detail: fmt.Sprintf(format, args...)})
}

// healthWord is how a trace says an endpoint's health.
func healthWord(ok bool) string {
	if ok {
		return "healthy"
	}
	return "unhealthy"
}
