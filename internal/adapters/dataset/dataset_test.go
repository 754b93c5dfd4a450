package dataset_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/dataset"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// The readers are tested through the import use case against the package's
// database: what a file brings is what ends up stored.

func TestMain(m *testing.M) { testdb.Main(m) }

func newServices(t *testing.T) app.Services {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length())
	if err != nil {
		t.Fatal(err)
	}
	pool := testdb.Pool(t)
	svc, err := app.NewServices(app.Deps{
		Stores: postgres.NewStores(pool), Tx: postgres.NewTxRunner(pool),
		Clock: system.Clock{}, IDs: system.IDs{}, Registry: reg,
		Limits: app.Limits{MaxBatchItems: 100, MaxFieldBytes: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// runImport imports the records read returns and gives the stats and the record
// errors by ref.
func runImport(t *testing.T, svc app.Services, in app.ImportInput, read func() iter.Seq2[app.ImportRecord, error]) (app.ImportStats, map[string]error) {
	t.Helper()
	imp, err := app.NewImports(svc)
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{}
	in.RecordError = func(ref string, err error) { errs[ref] = err }
	st, err := imp.Import(context.Background(), in, read())
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return st, errs
}

func alpacaRecords(s string) func() iter.Seq2[app.ImportRecord, error] {
	return func() iter.Seq2[app.ImportRecord, error] {
		return dataset.ReadAlpacaEval(strings.NewReader(s), dataset.AlpacaEvalOptions{})
	}
}

func hhRecords(s string) func() iter.Seq2[app.ImportRecord, error] {
	return func() iter.Seq2[app.ImportRecord, error] {
		return dataset.ReadHHRLHF(strings.NewReader(s), dataset.HHRLHFOptions{})
	}
}

func jsonlRecords(s string) func() iter.Seq2[app.ImportRecord, error] {
	return func() iter.Seq2[app.ImportRecord, error] { return dataset.ReadJSONL(strings.NewReader(s)) }
}

// counts is the part of ImportStats the tests compare.
type counts struct {
	Records, RespCreated, RespExisting, CmpCreated, CmpExisting, Errors int
	Skipped, Notes                                                      map[string]int
}

func countsOf(st app.ImportStats) counts {
	return counts{st.Records, st.ResponsesCreated, st.ResponsesExisting, st.ComparisonsCreated, st.ComparisonsExisting,
		st.Errors, st.Skipped, st.Notes}
}

func (c counts) equal(d counts) bool {
	return c.Records == d.Records && c.RespCreated == d.RespCreated && c.RespExisting == d.RespExisting &&
		c.CmpCreated == d.CmpCreated && c.CmpExisting == d.CmpExisting && c.Errors == d.Errors &&
		maps.Equal(c.Skipped, d.Skipped) && maps.Equal(c.Notes, d.Notes)
}

func allComparisons(t *testing.T, svc app.Services, eval string) []domain.Comparison {
	t.Helper()
	page, err := svc.Comparisons.List(context.Background(), eval, app.ListComparisonsInput{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func allResponses(t *testing.T, svc app.Services, eval string) []domain.Response {
	t.Helper()
	page, err := svc.Responses.List(context.Background(), eval, app.ListResponsesInput{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// alpacaFile is AlpacaEval-shaped: a judged pair with an annotator field, a null
// preference, the baseline compared with itself, two generators with the same text
// (distinct responses, a valid comparison) judged a draw in AlpacaEval's older
// encoding (preference 0), and two malformed entries.
const alpacaFile = `[
 {"instruction": "Name a colour.", "output_1": "Red.", "generator_1": "base", "output_2": "Blue.", "generator_2": "m1",
  "preference": 1.75, "annotator": "judge", "dataset": "helpful_base", "raw_completion": {"x": 1}},
 {"instruction": "Count to two.", "output_1": "1, 2.", "generator_1": "base", "output_2": "one two", "generator_2": "m1",
  "preference": null},
 {"instruction": "Name a colour.", "output_1": "Red.", "generator_1": "base", "output_2": "Red.", "generator_2": "base",
  "preference": 1.5},
 {"instruction": "Say a colour.", "output_1": "Green.", "generator_1": "base", "output_2": "Green.", "generator_2": "m1",
  "preference": 0},
 {"instruction": "Bad.", "output_1": "a", "generator_1": "base", "output_2": "b", "generator_2": "m1", "preference": 2.5},
 {"instruction": "Bad.", "output_1": "a", "generator_1": "base", "generator_2": "m1", "preference": 1}
]`

func TestImportAlpacaEval(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	ctx := context.Background()
	in := app.ImportInput{Evaluation: "alpaca", Scorers: []domain.ScorerConfig{{Type: "length"}}, BatchSize: 2}
	st, errs := runImport(t, svc, in, alpacaRecords(alpacaFile))
	// Responses: entry 0 two new, entry 1 two new, entry 2 one (base's "Red." of entry 0,
	// existing), entry 3 two new; entries 4 and 5 are errors.
	want := counts{Records: 6, RespCreated: 6, RespExisting: 1, CmpCreated: 2, Errors: 2,
		Skipped: map[string]int{dataset.SkipNullPreference: 1, dataset.SkipSelfComparison: 1}, Notes: map[string]int{}}
	if got := countsOf(st); !got.equal(want) {
		t.Errorf("first import = %+v, want %+v", got, want)
	}
	if !st.EvaluationCreated || st.Evaluation != "alpaca" {
		t.Errorf("evaluation %q created=%v, want alpaca created", st.Evaluation, st.EvaluationCreated)
	}
	if len(errs) != 2 || !strings.Contains(errOf(errs, "entry 4"), "preference") || !strings.Contains(errOf(errs, "entry 5"), "output_2") {
		t.Errorf("record errors = %v, want entry 4 on preference and entry 5 on output_2", errs)
	}

	// A second import creates nothing: every response and comparison exists.
	st2, _ := runImport(t, svc, in, alpacaRecords(alpacaFile))
	want2 := counts{Records: 6, RespExisting: 7, CmpExisting: 2, Errors: 2, Skipped: want.Skipped, Notes: map[string]int{}}
	if got := countsOf(st2); !got.equal(want2) || st2.EvaluationCreated {
		t.Errorf("second import = %+v (created %v), want %+v", got, st2.EvaluationCreated, want2)
	}

	e, err := svc.Evaluations.Get(ctx, "alpaca")
	if err != nil || len(e.Scorers) != 1 || e.Scorers[0].Type != "length" {
		t.Errorf("evaluation scorers = %+v, %v; want the length scorer", e.Scorers, err)
	}
	texts := map[string]string{} // model + prompt → text
	for _, r := range allResponses(t, svc, "alpaca") {
		texts[r.Model+"|"+r.Prompt] = r.Text
		if r.PromptID != domain.PromptHash(r.Prompt) {
			t.Errorf("prompt_id of %q = %s, want PromptHash of the instruction", r.Prompt, r.PromptID)
		}
		if len(r.Scores) != 1 {
			t.Errorf("response %s has %d scores, want the length score", r.ExternalID, len(r.Scores))
		}
	}
	wantTexts := map[string]string{
		"base|Name a colour.": "Red.", "m1|Name a colour.": "Blue.",
		"base|Count to two.": "1, 2.", "m1|Count to two.": "one two",
		"base|Say a colour.": "Green.", "m1|Say a colour.": "Green.",
	}
	if !maps.Equal(texts, wantTexts) {
		t.Errorf("stored responses = %v, want %v", texts, wantTexts)
	}
	type cmp struct {
		a, b, annotator string
		pref            float64
	}
	var got []cmp
	for _, c := range allComparisons(t, svc, "alpaca") {
		if c.AnnotatorKind != domain.AnnotatorModel {
			t.Errorf("annotator kind = %s, want model", c.AnnotatorKind)
		}
		got = append(got, cmp{c.ModelA, c.ModelB, c.Annotator, c.Preference})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].pref > got[j].pref })
	// preference − 1: 1.75 → 0.75; 0 (a draw) → 0.5; the file's annotator, else the default.
	wantCmps := []cmp{{"base", "m1", "judge", 0.75}, {"base", "m1", "alpaca_eval", 0.5}}
	if !slices.Equal(got, wantCmps) {
		t.Errorf("comparisons = %v, want %v", got, wantCmps)
	}

	// m1's win rate against base: (0.75 + 0.5) / 2 = 0.625 (AlpacaEval's 62.5).
	lb, err := svc.Preferences.Leaderboard(ctx, "alpaca", app.LeaderboardInput{Method: app.MethodWinRate, Baseline: "base"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Ratings) != 1 || lb.Ratings[0].Model != "m1" || lb.Ratings[0].WinRate == nil || *lb.Ratings[0].WinRate != 0.625 {
		t.Errorf("win-rate leaderboard = %+v, want m1 at 0.625", lb.Ratings)
	}
}

func errOf(errs map[string]error, ref string) string {
	if err := errs[ref]; err != nil {
		return err.Error()
	}
	return ""
}

func TestImportAlpacaEvalStopsOnBrokenJSON(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	cases := []struct {
		name, file string
		stored     int
	}{
		{"not a list", `{"instruction": "x"}`, 0},
		{"truncated after one entry", `[{"instruction": "Hi.", "output_1": "a", "generator_1": "x", "output_2": "b", "generator_2": "y", "preference": 2}, {"instr`, 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			imp, err := app.NewImports(svc)
			if err != nil {
				t.Fatal(err)
			}
			eval := []string{"broken-a", "broken-b"}[i]
			st, err := imp.Import(context.Background(), app.ImportInput{Evaluation: eval},
				dataset.ReadAlpacaEval(strings.NewReader(c.file), dataset.AlpacaEvalOptions{}))
			if err == nil {
				t.Errorf("import of a broken file succeeded")
			}
			if st.ComparisonsCreated != c.stored {
				t.Errorf("comparisons stored before the break = %d, want %d", st.ComparisonsCreated, c.stored)
			}
		})
	}
}

// hhFile is HH-RLHF-shaped. Line 1 is regular, with a blank line inside the chosen
// answer; line 2 has an empty final chosen turn; line 4 is like the dataset's
// irregular pairs: the chosen dialogue has an extra Assistant turn (with "Human:"
// inline) before its final turn, so the dialogues differ before the last turn;
// line 5 repeats line 1; lines 6 and 7 are malformed. Line 3 is blank.
var hhFile = strings.Join([]string{
	hhLine("\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: Why did the chicken cross the road?\n\nTo get to the other side.",
		"\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: No."),
	hhLine("\n\nHuman: Help me.\n\nAssistant: ", "\n\nHuman: Help me.\n\nAssistant: Sure."),
	"",
	hhLine("\n\nHuman: Are drag queens men?\n\nAssistant: No.\n\nHuman: Isn't that drag kings?\n\nAssistant: No.  Human: Then how?\n\nAssistant:  Because.",
		"\n\nHuman: Are drag queens men?\n\nAssistant: No.\n\nHuman: Isn't that drag kings?\n\nAssistant: A drag king is the opposite."),
	hhLine("\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: Why did the chicken cross the road?\n\nTo get to the other side.",
		"\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: No."),
	hhLine("no turns at all", "\n\nHuman: a\n\nAssistant: b"),
	`{"chosen": 1`,
}, "\n")

func hhLine(chosen, rejected string) string {
	b, _ := json.Marshal(map[string]string{"chosen": chosen, "rejected": rejected})
	return string(b)
}

func TestImportHHRLHF(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	ctx := context.Background()
	in := app.ImportInput{Evaluation: "hh", BatchSize: 3}
	st, errs := runImport(t, svc, in, hhRecords(hhFile))
	want := counts{Records: 6, RespCreated: 8, CmpCreated: 4, Errors: 2, Skipped: map[string]int{},
		Notes: map[string]int{dataset.NoteDialoguesDiffer: 1}}
	if got := countsOf(st); !got.equal(want) {
		t.Errorf("first import = %+v, want %+v", got, want)
	}
	if len(errs) != 2 || errs["line 6"] == nil || errs["line 7"] == nil {
		t.Errorf("record errors = %v, want lines 6 and 7", errs)
	}
	st2, _ := runImport(t, svc, in, hhRecords(hhFile))
	want2 := counts{Records: 6, RespExisting: 8, CmpExisting: 4, Errors: 2, Skipped: map[string]int{}, Notes: want.Notes}
	if got := countsOf(st2); !got.equal(want2) {
		t.Errorf("second import = %+v, want %+v", got, want2)
	}

	// Every response's prompt, context and text, by (line, label).
	type stored struct {
		prompt, context, text string
	}
	byKey := map[string]stored{}
	promptIDs := map[float64]map[string]bool{}
	for _, r := range allResponses(t, svc, "hh") {
		line, label := r.Metadata["line"].(float64), r.Metadata["label"].(string)
		var ctxText []string
		for _, m := range r.Context {
			ctxText = append(ctxText, m.Role+": "+m.Content)
		}
		byKey[fmt.Sprintf("%s %v", label, line)] = stored{r.Prompt, strings.Join(ctxText, " / "), r.Text}
		if promptIDs[line] == nil {
			promptIDs[line] = map[string]bool{}
		}
		promptIDs[line][r.PromptID] = true
		if r.Model != "hh-rlhf" {
			t.Errorf("model = %q, want hh-rlhf", r.Model)
		}
	}
	for line, ids := range promptIDs {
		if len(ids) != 1 {
			t.Errorf("line %v: the two responses have prompt ids %v, want one", line, ids)
		}
	}
	ctx1 := "user: Hi / assistant: Hello!"
	ctx4 := "user: Are drag queens men? / assistant: No."
	wantStored := map[string]stored{
		"chosen 1":   {"Tell me a joke.", ctx1, "Why did the chicken cross the road?\n\nTo get to the other side."},
		"rejected 1": {"Tell me a joke.", ctx1, "No."},
		"chosen 2":   {"Help me.", "", ""},
		"rejected 2": {"Help me.", "", "Sure."},
		"chosen 4":   {"Isn't that drag kings?", ctx4, " Because."},
		"rejected 4": {"Isn't that drag kings?", ctx4, "A drag king is the opposite."},
		"chosen 5":   {"Tell me a joke.", ctx1, "Why did the chicken cross the road?\n\nTo get to the other side."},
		"rejected 5": {"Tell me a joke.", ctx1, "No."},
	}
	if !maps.Equal(byKey, wantStored) {
		t.Errorf("stored responses:\n%q\nwant\n%q", byKey, wantStored)
	}
	for _, c := range allComparisons(t, svc, "hh") {
		if c.Preference != 0 || c.Annotator != "hh-rlhf" || c.AnnotatorKind != domain.AnnotatorHuman {
			t.Errorf("comparison = %+v, want response_a (chosen) preferred by human annotator hh-rlhf", c)
		}
		if differ, _ := c.Metadata["dialogues_differ"].(bool); differ != (c.ExternalID[len("hh-rlhf/")] == '4') {
			t.Errorf("comparison %s: dialogues_differ = %v", c.ExternalID, differ)
		}
	}

	// The DPO export has one line per pair, chosen and rejected being the final turns.
	x, err := svc.Preferences.PrepareExport(ctx, "hh", app.ExportInput{Format: app.FormatDPO})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var p struct{ Prompt, Chosen, Rejected string }
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, p.Chosen+" > "+p.Rejected)
	}
	sort.Strings(pairs)
	wantPairs := []string{
		" > Sure.",
		" Because. > A drag king is the opposite.",
		"Why did the chicken cross the road?\n\nTo get to the other side. > No.",
		"Why did the chicken cross the road?\n\nTo get to the other side. > No.",
	}
	if !slices.Equal(pairs, wantPairs) {
		t.Errorf("dpo pairs = %q, want %q", pairs, wantPairs)
	}
}

func TestSplitHHDialogue(t *testing.T) {
	t.Parallel()
	u := func(s string) domain.Message { return domain.Message{Role: "user", Content: s} }
	a := func(s string) domain.Message { return domain.Message{Role: "assistant", Content: s} }
	cases := []struct {
		name string
		in   string
		want []domain.Message
	}{
		{"two turns", "\n\nHuman: Hi\n\nAssistant: Hello", []domain.Message{u("Hi"), a("Hello")}},
		{"blank line inside a turn", "\n\nHuman: a\n\nb\n\nAssistant: c", []domain.Message{u("a\n\nb"), a("c")}},
		{"Human: without a blank line is content", "\n\nHuman: a\n\nAssistant: b  Human: c", []domain.Message{u("a"), a("b  Human: c")}},
		{"empty final turn", "\n\nHuman: a\n\nAssistant: ", []domain.Message{u("a"), a("")}},
		{"marker without a space at the end", "\n\nHuman: a\n\nAssistant:", []domain.Message{u("a"), a("")}},
		{"only one space is the separator", "\n\nHuman: a\n\nAssistant:  b", []domain.Message{u("a"), a(" b")}},
		{"no blank line at the start", "Human: a\n\nAssistant: b", []domain.Message{u("a"), a("b")}},
		{"consecutive assistant turns", "\n\nHuman: a\n\nAssistant: b\n\nAssistant: c", []domain.Message{u("a"), a("b"), a("c")}},
		{"trailing blank lines stay content", "\n\nHuman: a\n\nAssistant: b\n\n", []domain.Message{u("a"), a("b\n\n")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := dataset.SplitHHDialogue(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("turns = %q, want %q", got, c.want)
			}
		})
	}
	for _, bad := range []string{"", "hello\n\nHuman: a", "Humans: a"} {
		if got, err := dataset.SplitHHDialogue(bad); err == nil {
			t.Errorf("SplitHHDialogue(%q) = %q, want an error", bad, got)
		}
	}
}

// jsonlFile mixes responses and comparisons in the API's shapes. Line 5 names a
// response that comes later (line 6); lines 7 to 11 are bad in different ways.
const jsonlFile = `{"external_id": "r1", "model": "a", "prompt": "2+2?", "response": "4"}
{"external_id": "r2", "model": "b", "prompt": "2+2?", "response": "5", "context": [{"role": "user", "content": "maths"}]}
{"response_a": "r1", "response_b": "r2", "winner": "a", "annotator": "ann", "rationale": "correct"}
{"model": "c", "prompt": "2+2?", "response": "four", "metadata": {"k": 1}}
{"response_a": "r1", "response_b": "r9", "preference": 0.3}
{"external_id": "r9", "model": "d", "prompt": "2+2?", "response": "IV"}
{"model": "x", "response_a": "r1"}
{"model": "x", "prompt": "p", "response": "r", "colour": "red"}
{"id": "0190f3c4-0000-7000-8000-000000000000", "model": "x", "prompt": "p", "response": "r"}
{"model": "x", "prompt": "p"}
{"response_a": "r1", "response_b": "r2", "winner": "a", "preference": 1}
`

func TestImportJSONL(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	wantErrs := map[string]string{
		"line 5":  `"r9"`,
		"line 7":  "both response fields",
		"line 8":  "colour",
		"line 9":  "set by the server",
		"line 10": "response: is required",
		"line 11": "either preference or winner",
	}
	// The same result whatever the batch size: line 5's forward reference fails even
	// when lines 5 and 6 share a batch. On the second import r9 is stored, so line 5
	// then succeeds: the one thing a re-import of a file with errors can add.
	for _, batch := range []int{1, 3, 100} {
		eval := map[int]string{1: "jsonl-1", 3: "jsonl-3", 100: "jsonl-100"}[batch]
		t.Run(eval, func(t *testing.T) {
			t.Parallel()
			in := app.ImportInput{Evaluation: eval, BatchSize: batch}
			st, errs := runImport(t, svc, in, jsonlRecords(jsonlFile))
			want := counts{Records: 11, RespCreated: 4, CmpCreated: 1, Errors: 6, Skipped: map[string]int{}, Notes: map[string]int{}}
			if got := countsOf(st); !got.equal(want) {
				t.Errorf("first import = %+v, want %+v", got, want)
			}
			for ref, frag := range wantErrs {
				if !strings.Contains(errOf(errs, ref), frag) {
					t.Errorf("%s: error %q, want it to mention %q", ref, errOf(errs, ref), frag)
				}
			}
			if len(errs) != len(wantErrs) {
				t.Errorf("record errors = %v, want %d", errs, len(wantErrs))
			}
			st2, _ := runImport(t, svc, in, jsonlRecords(jsonlFile))
			want2 := counts{Records: 11, RespExisting: 4, CmpCreated: 1, CmpExisting: 1, Errors: 5, Skipped: map[string]int{}, Notes: map[string]int{}}
			if got := countsOf(st2); !got.equal(want2) {
				t.Errorf("second import = %+v, want %+v", got, want2)
			}
			st3, _ := runImport(t, svc, in, jsonlRecords(jsonlFile))
			want3 := counts{Records: 11, RespExisting: 4, CmpExisting: 2, Errors: 5, Skipped: map[string]int{}, Notes: map[string]int{}}
			if got := countsOf(st3); !got.equal(want3) {
				t.Errorf("third import = %+v, want %+v", got, want3)
			}
			cs := allComparisons(t, svc, eval)
			if len(cs) != 2 {
				t.Fatalf("%d comparisons stored, want 2", len(cs))
			}
			if c := cs[0]; c.ModelA != "a" || c.ModelB != "b" || c.Preference != 0 || c.Annotator != "ann" ||
				c.AnnotatorKind != domain.AnnotatorHuman || c.Rationale != "correct" || !strings.HasPrefix(c.ExternalID, "jsonl/") {
				t.Errorf("first comparison = %+v, want a over b by ann with a derived external id", c)
			}
			if c := cs[1]; c.ModelA != "a" || c.ModelB != "d" || c.Preference != 0.3 {
				t.Errorf("second comparison = %+v, want a vs d at 0.3", c)
			}
			texts := map[string]string{}
			for _, r := range allResponses(t, svc, eval) {
				texts[r.Model] = r.Text
				if r.Model == "b" && (len(r.Context) != 1 || r.Context[0] != (domain.Message{Role: "user", Content: "maths"})) {
					t.Errorf("context of b = %v", r.Context)
				}
				if r.Model == "c" && (!strings.HasPrefix(r.ExternalID, "jsonl/") || r.Metadata["k"] != 1.0) {
					t.Errorf("response c = %+v, want a derived external id and its metadata", r)
				}
			}
			if want := map[string]string{"a": "4", "b": "5", "c": "four", "d": "IV"}; !maps.Equal(texts, want) {
				t.Errorf("responses = %v, want %v", texts, want)
			}
		})
	}
}
