package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// HHRLHFOptions configures ReadHHRLHF.
type HHRLHFOptions struct {
	// Model is the model name of every response (default "hh-rlhf").
	Model string
	// Annotator names the annotator of every comparison (default "hh-rlhf").
	Annotator string
}

// ReadHHRLHF reads Anthropic HH-RLHF JSONL, one {"chosen", "rejected"} pair of
// dialogues per line. A dialogue is a sequence of turns, each starting with
// "\n\nHuman:" or "\n\nAssistant:" (the leading "\n\n" may be missing at the very
// start); a turn's content is the text up to the next such marker with the one
// space after the colon removed, and nothing else trimmed, so "\n\n" inside a turn
// and "Human:" without the blank line before it stay content. Both dialogues must
// end with an Assistant turn: those final turns are the two responses, and the
// chosen one wins (response_a = chosen, winner a, annotator_kind "human"). An empty
// final turn is an empty response, which is valid.
//
// The prompt is the last Human turn of the turns the two dialogues share before
// their final turns, and the context is the turns before it (roles "user" and
// "assistant"); prompt_id is domain.PromptHash of those turns rendered in the
// dataset's format ("\n\nHuman: ...\n\nAssistant: ..."). Normally the shared turns
// are the whole of both dialogues but the final turn, and end with a Human turn.
// When they are not (the two dialogues differ earlier, or an Assistant turn comes
// right before a final one), the record gets NoteDialoguesDiffer and the prompt is
// taken from the shared turns all the same, so both responses keep one prompt_id,
// as a comparison requires; the comparison's metadata says
// "dialogues_differ": true. Dialogues sharing no Human turn are a record error.
//
// External ids are line-based and content-hashed: "hh-rlhf/<line>/<h>/chosen",
// ".../rejected" and "hh-rlhf/<line>/<h>" for the comparison, where h is 12 hex
// digits of the SHA-256 of the two dialogues. Re-importing the same file creates
// nothing, and identical lines in a file are still separate pairs.
func ReadHHRLHF(r io.Reader, opts HHRLHFOptions) iter.Seq2[app.ImportRecord, error] {
	if opts.Model == "" {
		opts.Model = "hh-rlhf"
	}
	if opts.Annotator == "" {
		opts.Annotator = "hh-rlhf"
	}
	return func(yield func(app.ImportRecord, error) bool) {
		lines := newLineReader(r)
		for {
			line, text, err := lines.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(app.ImportRecord{}, err)
				return
			}
			ref := fmt.Sprintf("line %d", line)
			var pair struct {
				Chosen   *string `json:"chosen"`
				Rejected *string `json:"rejected"`
			}
			var rec app.ImportRecord
			if err := json.Unmarshal(text, &pair); err != nil {
				rec = app.ImportRecord{Ref: ref, Err: jsonLineError(err)}
			} else if pair.Chosen == nil || pair.Rejected == nil {
				rec = app.ImportRecord{Ref: ref, Err: errors.New(`want an object with "chosen" and "rejected" dialogues`)}
			} else {
				rec = hhRecord(ref, line, *pair.Chosen, *pair.Rejected, opts)
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// HH-RLHF turn markers.
const (
	hhHuman     = "Human:"
	hhAssistant = "Assistant:"
)

// SplitHHDialogue splits an HH-RLHF dialogue into turns (see ReadHHRLHF), with
// roles "user" and "assistant".
func SplitHHDialogue(s string) ([]domain.Message, error) {
	var out []domain.Message
	// marker reports the role and the length of a turn marker at s[i:], if any.
	marker := func(i int) (string, int) {
		switch rest := s[i:]; {
		case strings.HasPrefix(rest, "\n\n"+hhHuman):
			return "user", 2 + len(hhHuman)
		case strings.HasPrefix(rest, "\n\n"+hhAssistant):
			return "assistant", 2 + len(hhAssistant)
		case i == 0 && strings.HasPrefix(rest, hhHuman):
			return "user", len(hhHuman)
		case i == 0 && strings.HasPrefix(rest, hhAssistant):
			return "assistant", len(hhAssistant)
		}
		return "", 0
	}
	role, n := marker(0)
	if role == "" {
		return nil, errors.New(`does not start with a "Human:" or "Assistant:" turn`)
	}
	start := n
	for i := start; ; {
		j := strings.Index(s[i:], "\n\n")
		next, m := "", 0
		if j >= 0 {
			next, m = marker(i + j)
		}
		if j < 0 || next != "" {
			end := len(s)
			if j >= 0 {
				end = i + j
			}
			content := strings.TrimPrefix(s[start:end], " ")
			out = append(out, domain.Message{Role: role, Content: content})
			if j < 0 {
				return out, nil
			}
			role, start = next, i+j+m
			i = start
			continue
		}
		i += j + 1 // a blank line inside a turn
	}
}

// renderHH writes turns back in the dataset's format.
func renderHH(turns []domain.Message) string {
	var sb strings.Builder
	for _, t := range turns {
		if t.Role == "user" {
			sb.WriteString("\n\n" + hhHuman + " ")
		} else {
			sb.WriteString("\n\n" + hhAssistant + " ")
		}
		sb.WriteString(t.Content)
	}
	return sb.String()
}

func hhRecord(ref string, line int, chosen, rejected string, opts HHRLHFOptions) app.ImportRecord {
	fail := func(err error) app.ImportRecord { return app.ImportRecord{Ref: ref, Err: err} }
	c, err := SplitHHDialogue(chosen)
	if err != nil {
		return fail(fmt.Errorf("chosen: %w", err))
	}
	r, err := SplitHHDialogue(rejected)
	if err != nil {
		return fail(fmt.Errorf("rejected: %w", err))
	}
	if c[len(c)-1].Role != "assistant" {
		return fail(errors.New("chosen: does not end with an Assistant turn"))
	}
	if r[len(r)-1].Role != "assistant" {
		return fail(errors.New("rejected: does not end with an Assistant turn"))
	}
	cPrefix, rPrefix := c[:len(c)-1], r[:len(r)-1]
	shared := 0
	for shared < len(cPrefix) && shared < len(rPrefix) && cPrefix[shared] == rPrefix[shared] {
		shared++
	}
	h := -1
	for i := shared - 1; i >= 0; i-- {
		if cPrefix[i].Role == "user" {
			h = i
			break
		}
	}
	if h < 0 {
		return fail(errors.New("the chosen and rejected dialogues share no Human turn before their final turns"))
	}
	rec := app.ImportRecord{Ref: ref}
	var meta map[string]any
	if shared != len(cPrefix) || shared != len(rPrefix) || h != shared-1 {
		rec.Notes = []string{NoteDialoguesDiffer}
		meta = map[string]any{"dialogues_differ": true}
	}
	promptID := domain.PromptHash(renderHH(cPrefix[:h+1]))
	key := fmt.Sprintf("hh-rlhf/%d/%s", line, hexHash(12, chosen, rejected))
	turns := append([]domain.Message(nil), cPrefix[:h]...)
	response := func(label, text string) app.ResponseInput {
		return app.ResponseInput{
			ExternalID: key + "/" + label, PromptID: promptID, Model: opts.Model, Prompt: cPrefix[h].Content,
			Context: turns, Response: &text, Metadata: map[string]any{"label": label, "line": line},
		}
	}
	a, b := response("chosen", c[len(c)-1].Content), response("rejected", r[len(r)-1].Content)
	winner := string(domain.WinnerA)
	rec.Responses = []app.ResponseInput{a, b}
	rec.Comparison = &app.ComparisonInput{
		ExternalID: key, ResponseA: a.ExternalID, ResponseB: b.ExternalID, Winner: &winner,
		Annotator: opts.Annotator, AnnotatorKind: string(domain.AnnotatorHuman), Metadata: meta,
	}
	return rec
}
