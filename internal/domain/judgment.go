package domain

import "time"

// Judge is one version of a named judge configuration. Config is the canonical
// JSON of the configuration (endpoint, template, parser, order, params, price,
// limits); two configurations are the same version exactly when their canonical
// forms are equal, which ConfigHash (SHA-256, hex) stands for.
type Judge struct {
	Name       string
	Version    int
	Kind       string
	Config     []byte
	ConfigHash string
	CreatedAt  time.Time
}

// TokenLogprob is one generated token's log probability with the most likely
// alternatives at its position, as a chat endpoint reports them.
type TokenLogprob struct {
	Token   string
	Logprob float64
	Top     []TokenLogprob
}

// Judgment is one call a judge run made (or found in the cache), with everything
// needed to trace a verdict back to it. A run's item (a pair, or one response) has
// one judgment per call: two for a pair judged in both orders, one without a call
// when a pair's outputs are identical.
type Judgment struct {
	ID           ID
	EvaluationID ID
	JobID        ID
	// Item names what was judged within the run; Call numbers its calls from 0.
	Item         string
	Call         int
	JudgeName    string
	JudgeVersion int
	// ResponseA and ResponseB are the judged pair (A the baseline's response);
	// Response is the response a pointwise or reward judge scored.
	ResponseA, ResponseB, Response *ID
	// ComparisonID is the comparison made from the item's verdict; nil for a score
	// or when the item has no verdict.
	ComparisonID *ID
	RequestHash  string
	Messages     []Message
	// The reply.
	Content           string
	Logprobs          []TokenLogprob
	FinishReason      string
	SystemFingerprint string
	Raw               []byte
	Reward            *float64
	// Verdict is this call's parsed result: the probability that B (the second
	// output) is better, or the score; nil when the reply could not be parsed, and
	// then ParseError says why.
	Verdict    *float64
	ParseError string
	// Order is the order the outputs were shown in: "12" (A first) or "21".
	Order        string
	Identical    bool
	InputTokens  int64
	OutputTokens int64
	Cost         float64
	Latency      time.Duration
	Attempts     int
	Cached       bool
	CreatedAt    time.Time
}
