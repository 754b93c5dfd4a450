// Package builtin lists the scorer types that ship with rlhf-eval and builds the
// registry from them. The list is explicit: no scorer registers itself.
package builtin

import (
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/echo"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/hedging"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/judgescore"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/language"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/levenshtein"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/pii"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/readability"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/refusal"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/repetition"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/rouge"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/sacrebleu"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/squad"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/toxicity"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/truncation"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/verbosity"
)

// Types returns every built-in scorer type.
func Types() []scoring.Type {
	return []scoring.Type{
		// Reference-based metrics, exact to their reference implementations.
		sacrebleu.BLEU(),
		sacrebleu.CHRF(),
		rouge.ROUGE(),
		squad.ExactMatch(),
		squad.F1(),
		levenshtein.Levenshtein(),
		// Assertions.
		assertion.Contains(),
		assertion.Regex(),
		assertion.Equals(),
		assertion.StartsWith(),
		assertion.JSON(),
		assertion.Length(),
		// Detectors and text statistics.
		refusal.Refusal(),
		pii.PII(),
		toxicity.Toxicity(),
		repetition.Repetition(),
		readability.Readability(),
		language.Language(),
		// Failure modes of RLHF-trained policies.
		truncation.Truncation(),
		echo.PromptEcho(),
		language.LanguageMismatch(),
		hedging.Hedging(),
		verbosity.Verbosity(),
		// Scorers that run later, in a background job: remote models.
		judgescore.Judge(),
	}
}

// Registry returns a registry of the built-in scorer types.
func Registry() (*scoring.Registry, error) {
	return scoring.NewRegistry(Types()...)
}
