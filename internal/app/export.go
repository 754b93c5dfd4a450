package app

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// Export formats.
const (
	FormatDPO   = "dpo"
	FormatKTO   = "kto"
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// Export prompt histories.
const (
	HistoryFull = "full"
	HistoryLast = "last"
)

// exportPage is how many merged pairs are read per query: memory holds one page,
// however large the evaluation.
const exportPage = 500

// ExportInput configures an export.
type ExportInput struct {
	Format string
	// Conversational writes TRL's conversational form (lists of {role, content}
	// messages carrying the context) instead of plain strings (dpo and kto).
	Conversational bool
	// History is HistoryFull (the default): a dpo or kto prompt carries the whole
	// conversation before the response; or HistoryLast: only the last user turn,
	// dropping earlier turns.
	History string
	// MinMargin keeps pairs whose merged preference is at least this far from ½
	// (0 to 0.5).
	MinMargin     float64
	AnnotatorKind string
	// AgreedOnly keeps pairs where no judgement falls on the other side of ½ from
	// the merged preference (a pair judged once always agrees with itself).
	AgreedOnly bool
}

// Export is a validated export, ready to stream.
type Export struct {
	u  *Preferences
	e  domain.Evaluation
	in ExportInput
	q  ports.PreferenceQuery
	// first is the first page, read by Start so that a failing query is reported
	// before anything is written.
	first   []ports.ExportPair
	started bool
}

// Start reads the first page. Callers that must commit to a status before writing
// (HTTP) call it first; WriteTo calls it when they did not.
func (x *Export) Start(ctx context.Context) error {
	if x.started {
		return nil
	}
	page, err := x.u.d.Stores.Preferences.ExportPairs(ctx, x.q, nil, exportPage)
	if err != nil {
		return err
	}
	x.first, x.started = page, true
	return nil
}

// ContentType is the media type of the export's output.
func (x *Export) ContentType() string {
	if x.in.Format == FormatCSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson"
}

// Filename suggests a file name for the export.
func (x *Export) Filename() string {
	ext := ".jsonl"
	if x.in.Format == FormatCSV {
		ext = ".csv"
	}
	return x.e.Name + "-" + x.in.Format + ext
}

// PrepareExport validates an export of an evaluation's comparisons. Judgements of
// the same pair of responses (by several annotators, in either orientation) are
// merged by mean preference.
func (u *Preferences) PrepareExport(ctx context.Context, evalRef string, in ExportInput) (*Export, error) {
	var errs []error
	switch in.Format {
	case FormatDPO, FormatKTO, FormatJSONL, FormatCSV:
	case "":
		in.Format = FormatDPO
	default:
		errs = append(errs, domain.Invalid("format", "must be dpo, kto, jsonl or csv; got %q", in.Format))
	}
	if !(in.MinMargin >= 0 && in.MinMargin <= 0.5) {
		errs = append(errs, domain.Invalid("min_margin", "must be from 0 to 0.5 (distance of the merged preference from ½); got %v", in.MinMargin))
	}
	if in.AnnotatorKind != "" && !domain.AnnotatorKind(in.AnnotatorKind).Valid() {
		errs = append(errs, domain.Invalid("annotator_kind", "must be human, model or heuristic; got %q", in.AnnotatorKind))
	}
	switch in.History {
	case HistoryFull, HistoryLast:
	case "":
		in.History = HistoryFull
	default:
		errs = append(errs, domain.Invalid("history", "must be full (the whole conversation) or last (the last user turn only); got %q", in.History))
	}
	if in.Conversational && (in.Format == FormatJSONL || in.Format == FormatCSV) {
		errs = append(errs, domain.Invalid("conversational", "applies to the dpo and kto formats only"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return nil, err
	}
	return &Export{u: u, e: e, in: in, q: LeaderboardInput{AnnotatorKind: in.AnnotatorKind}.query(e.ID)}, nil
}

// ExportStats counts what an export wrote and skipped.
type ExportStats struct {
	Pairs, Written, Ties, BelowMargin, Disagreed int
}

// WriteTo streams the export to w page by page.
func (x *Export) WriteTo(ctx context.Context, w io.Writer) (ExportStats, error) {
	var st ExportStats
	bw := bufio.NewWriterSize(w, 64<<10)
	var cw *csv.Writer
	if x.in.Format == FormatCSV {
		cw = csv.NewWriter(bw)
		if err := cw.Write(csvHeader); err != nil {
			return st, err
		}
	}
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := x.Start(ctx); err != nil {
		return st, err
	}
	page := x.first
	x.first = nil
	for {
		for _, p := range page {
			st.Pairs++
			if err := x.write(p, enc, cw, &st); err != nil {
				return st, err
			}
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return st, err
			}
		}
		if err := bw.Flush(); err != nil {
			return st, err
		}
		if len(page) < exportPage {
			return st, nil
		}
		last := page[len(page)-1]
		var err error
		page, err = x.u.d.Stores.Preferences.ExportPairs(ctx, x.q, &[2]domain.ID{last.Lo, last.Hi}, exportPage)
		if err != nil {
			return st, err
		}
	}
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

var csvHeader = []string{"prompt_id", "prompt", "context", "model_a", "response_a", "external_id_a", "model_b", "response_b",
	"external_id_b", "preference", "min_preference", "max_preference", "judgements", "annotators"}

func (x *Export) write(p ports.ExportPair, enc *json.Encoder, cw *csv.Writer, st *ExportStats) error {
	margin := math.Abs(p.Preference - 0.5)
	agreed := p.MinPreference > 0.5 || p.MaxPreference < 0.5 || (p.MinPreference == 0.5 && p.MaxPreference == 0.5)
	paired := x.in.Format == FormatDPO || x.in.Format == FormatKTO
	switch {
	case paired && p.Preference == 0.5:
		st.Ties++
		return nil
	case margin < x.in.MinMargin:
		st.BelowMargin++
		return nil
	case x.in.AgreedOnly && !agreed:
		st.Disagreed++
		return nil
	}
	st.Written++
	// In the merged pair, Lo is response A and Hi response B.
	chosen, rejected := p.ResponseHi, p.ResponseLo
	if p.Preference < 0.5 {
		chosen, rejected = p.ResponseLo, p.ResponseHi
	}
	switch x.in.Format {
	case FormatDPO:
		if x.in.Conversational {
			return enc.Encode(struct {
				Prompt   []message `json:"prompt"`
				Chosen   []message `json:"chosen"`
				Rejected []message `json:"rejected"`
			}{x.promptMessages(p), []message{{"assistant", chosen}}, []message{{"assistant", rejected}}})
		}
		return enc.Encode(struct {
			Prompt   string `json:"prompt"`
			Chosen   string `json:"chosen"`
			Rejected string `json:"rejected"`
		}{x.promptText(p), chosen, rejected})
	case FormatKTO:
		for _, c := range []struct {
			text  string
			label bool
		}{{chosen, true}, {rejected, false}} {
			var err error
			if x.in.Conversational {
				err = enc.Encode(struct {
					Prompt     []message `json:"prompt"`
					Completion []message `json:"completion"`
					Label      bool      `json:"label"`
				}{x.promptMessages(p), []message{{"assistant", c.text}}, c.label})
			} else {
				err = enc.Encode(struct {
					Prompt     string `json:"prompt"`
					Completion string `json:"completion"`
					Label      bool   `json:"label"`
				}{x.promptText(p), c.text, c.label})
			}
			if err != nil {
				return err
			}
		}
		return nil
	case FormatJSONL:
		return enc.Encode(struct {
			PromptID      string    `json:"prompt_id"`
			Prompt        string    `json:"prompt"`
			Context       []message `json:"context"`
			ModelA        string    `json:"model_a"`
			ResponseA     string    `json:"response_a"`
			ExternalIDA   *string   `json:"external_id_a"`
			ModelB        string    `json:"model_b"`
			ResponseB     string    `json:"response_b"`
			ExternalIDB   *string   `json:"external_id_b"`
			Preference    float64   `json:"preference"`
			MinPreference float64   `json:"min_preference"`
			MaxPreference float64   `json:"max_preference"`
			Judgements    int64     `json:"judgements"`
			Annotators    int64     `json:"annotators"`
		}{p.PromptID, p.Prompt, contextMessages(p.Context), p.ModelLo, p.ResponseLo, nonEmpty(p.ExternalIDLo), p.ModelHi, p.ResponseHi,
			nonEmpty(p.ExternalIDHi), p.Preference, p.MinPreference, p.MaxPreference, p.Judgements, p.Annotators})
	}
	ctxJSON, err := json.Marshal(contextMessages(p.Context))
	if err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return cw.Write([]string{p.PromptID, p.Prompt, string(ctxJSON), p.ModelLo, p.ResponseLo, p.ExternalIDLo, p.ModelHi, p.ResponseHi,
		p.ExternalIDHi, f(p.Preference), f(p.MinPreference), f(p.MaxPreference), strconv.FormatInt(p.Judgements, 10),
		strconv.FormatInt(p.Annotators, 10)})
}

func contextMessages(ms []domain.Message) []message {
	out := make([]message, len(ms))
	for i, m := range ms {
		out[i] = message{m.Role, m.Content}
	}
	return out
}

// promptMessages is the context followed by the prompt as the user's turn; with
// HistoryLast, the user's turn alone.
func (x *Export) promptMessages(p ports.ExportPair) []message {
	if x.in.History == HistoryLast {
		return []message{{"user", p.Prompt}}
	}
	return append(contextMessages(p.Context), message{"user", p.Prompt})
}

// promptText is the prompt of TRL's standard (plain text) format. With the full
// history it is the whole conversation as a transcript in the HH-RLHF text format
// ("\n\nHuman: ...\n\nAssistant: ...", other roles by their name), ending with
// the "\n\nAssistant:" cue the response follows; a single-turn prompt is
// "\n\nHuman: <prompt>\n\nAssistant:" alike, so every line of a file has one
// shape. With HistoryLast it is the last user turn alone, as it was stored.
func (x *Export) promptText(p ports.ExportPair) string {
	if x.in.History == HistoryLast {
		return p.Prompt
	}
	var sb strings.Builder
	for _, m := range x.promptMessages(p) {
		sb.WriteString("\n\n" + transcriptRole(m.Role) + ": " + m.Content)
	}
	sb.WriteString("\n\nAssistant:")
	return sb.String()
}

// transcriptRole names a role in a text transcript.
func transcriptRole(role string) string {
	switch role {
	case "user":
		return "Human"
	case "assistant":
		return "Assistant"
	case "":
		return "Unknown"
	}
	r, n := utf8.DecodeRuneInString(role)
	return string(unicode.ToUpper(r)) + role[n:]
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
