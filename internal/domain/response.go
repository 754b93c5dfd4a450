package domain

import (
	"crypto/sha256"
	"encoding/hex"
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
// on this response, and Error says why.
type Score struct {
	Scorer    string
	Value     *float64
	Passed    *bool
	Details   map[string]any
	Error     string
	CreatedAt time.Time
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
