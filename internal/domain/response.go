package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Message is one chat message: a turn of the conversation that preceded a prompt,
// or a message sent to a judge model. Name is set only for named ChatML roles in a
// judge's prompt ("system name=example_user"); a response's context has none.
type Message struct {
	Role    string
	Name    string
	Content string
}

// Response is one model output for one prompt, with the scores it got on ingest.
type Response struct {
	ID           ID
	EvaluationID ID
	// ExternalID is the client's own id, unique within the evaluation; re-posting it
	// returns the stored response. Empty when the client gave none.
	ExternalID string
	// PromptID groups responses to the same prompt; it defaults to PromptHash(Prompt).
	PromptID  string
	Model     string
	Prompt    string
	Context   []Message
	Text      string
	Reference *string
	Metadata  map[string]any
	CreatedAt time.Time
	Scores    []Score
}

// Score is one scorer's result for one response. Value is nil when the scorer failed
// on this response, and Error says why, or when the score is Pending: a scorer that
// runs later (a model judge) has yet to compute it.
type Score struct {
	Scorer    string
	Value     *float64
	Passed    *bool
	Details   map[string]any
	Error     string
	Pending   bool
	CreatedAt time.Time
}

// ScoreStatus is where a score stands: ready (a value), failed (an error) or
// pending (a scorer that runs later has yet to compute it).
type ScoreStatus string

// Score statuses.
const (
	ScoreReady   ScoreStatus = "ready"
	ScoreFailed  ScoreStatus = "failed"
	ScorePending ScoreStatus = "pending"
)

// Status reports where the score stands.
func (s Score) Status() ScoreStatus {
	switch {
	case s.Pending:
		return ScorePending
	case s.Value == nil:
		return ScoreFailed
	}
	return ScoreReady
}

// Limits on response fields.
const (
	MaxExternalIDLen = 200
	MaxPromptIDLen   = 200
	MaxModelLen      = 200
	MaxRoleLen       = 50
	MaxContextTurns  = 1000
)

// PromptHash is the default prompt id: the first 16 bytes of the SHA-256 of the
// prompt text, in hex. Equal prompts get equal ids across evaluations, which is what
// pairs responses in a regression diff.
func PromptHash(prompt string) string {
	sum := sha256.Sum256([]byte(prompt))
	return hex.EncodeToString(sum[:16])
}

// ResponseRules are the checks on a new response that depend on where it goes:
// the deployment's bound on a text field and the evaluation's scorers that need
// a reference answer.
type ResponseRules struct {
	// MaxTextBytes bounds the prompt, the response, the reference and each context
	// message's content; 0 means no bound.
	MaxTextBytes int
	// NeedsReference names the scorers that need a reference answer.
	NeedsReference []string
}

// NewResponse checks a response a client submitted and returns it with its
// defaults filled in: PromptID is PromptHash(Prompt) when empty, Metadata an
// empty object when nil. text becomes the response's Text; nil means the client
// sent none, which is an error, while an empty text is valid (models do produce
// them). Every problem is a *ValidationError naming its field ("context[2].role"),
// in the order of the fields.
func NewResponse(r Response, text *string, rules ResponseRules) (Response, error) {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(ValidateLabel("external_id", r.ExternalID, MaxExternalIDLen))
	add(ValidateLabel("prompt_id", r.PromptID, MaxPromptIDLen))
	if r.Model == "" {
		add(Invalid("model", "is required"))
	} else {
		add(ValidateLabel("model", r.Model, MaxModelLen))
	}
	if r.Prompt == "" {
		add(Invalid("prompt", "is required"))
	}
	add(rules.checkLen("prompt", r.Prompt))
	add(ValidateText("prompt", r.Prompt))
	if text == nil {
		add(Invalid("response", "is required (an empty string is allowed)"))
	} else {
		add(rules.checkLen("response", *text))
		add(ValidateText("response", *text))
	}
	if r.Reference != nil {
		add(rules.checkLen("reference", *r.Reference))
		add(ValidateText("reference", *r.Reference))
	} else if len(rules.NeedsReference) > 0 {
		add(Invalid("reference", "is required by scorer %q of this evaluation", rules.NeedsReference[0]))
	}
	if len(r.Context) > MaxContextTurns {
		add(Invalid("context", "has %d messages; at most %d allowed", len(r.Context), MaxContextTurns))
	}
	for i, m := range r.Context {
		f := fmt.Sprintf("context[%d]", i)
		if m.Role == "" {
			add(Invalid(f+".role", "is required"))
		} else if len(m.Role) > MaxRoleLen {
			add(Invalid(f+".role", "must be at most %d bytes", MaxRoleLen))
		}
		add(rules.checkLen(f+".content", m.Content))
		add(ValidateText(f+".content", m.Content))
	}
	add(ValidateMetadata("metadata", r.Metadata))
	if len(errs) > 0 {
		return Response{}, errors.Join(errs...)
	}
	r.Text = *text
	if r.PromptID == "" {
		r.PromptID = PromptHash(r.Prompt)
	}
	if r.Metadata == nil {
		r.Metadata = map[string]any{}
	}
	return r, nil
}

// checkLen checks a text field against MaxTextBytes.
func (rules ResponseRules) checkLen(field, s string) error {
	if rules.MaxTextBytes > 0 && len(s) > rules.MaxTextBytes {
		return Invalid(field, "is %d bytes; at most %d allowed", len(s), rules.MaxTextBytes)
	}
	return nil
}
