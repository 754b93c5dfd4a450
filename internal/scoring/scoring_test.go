package scoring_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// fakeType builds a scorer type whose scores come from fn.
func fakeType(name string, fn func(context.Context, scoring.Item) (scoring.Result, error)) scoring.Type {
	return scoring.Type{
		Name: name, Description: "test", Better: scoring.HigherIsBetter,
		ParamsSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{"k":{"type":"integer","minimum":1,"maximum":5}}}`),
		New: func(params json.RawMessage) (scoring.Scorer, error) {
			var p struct {
				K int `json:"k"`
			}
			if err := scoring.DecodeParams(params, &p); err != nil {
				return nil, err
			}
			if p.K == 4 {
				return nil, domain.Invalid("k", "4 is unlucky")
			}
			return scoring.ScorerFunc(fn), nil
		},
	}
}

func lengthOf(_ context.Context, it scoring.Item) (scoring.Result, error) {
	return scoring.Result{Value: float64(len(it.Response))}, nil
}

func TestNewRegistryRejects(t *testing.T) {
	t.Parallel()
	ok := fakeType("fake", lengthOf)
	tests := []struct {
		name  string
		types []scoring.Type
	}{
		{"duplicate", []scoring.Type{ok, ok}},
		{"bad name", []scoring.Type{fakeType("Bad Name", lengthOf)}},
		{"no constructor", []scoring.Type{{Name: "x", Better: scoring.HigherIsBetter}}},
		{"bad direction", []scoring.Type{{Name: "x", Better: "sideways", New: ok.New}}},
		{"bad schema", []scoring.Type{{Name: "x", Better: scoring.NoDirection, New: ok.New, ParamsSchema: json.RawMessage(`{"type": 5}`)}}},
	}
	for _, tt := range tests {
		if _, err := scoring.NewRegistry(tt.types...); err == nil {
			t.Errorf("%s: NewRegistry succeeded, want an error", tt.name)
		}
	}
}

func TestBuildValidatesConfigs(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(fakeType("fake", lengthOf), fakeType("other", lengthOf))
	if err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		cfgs   []domain.ScorerConfig
		fields []string
	}{
		{"ok", []domain.ScorerConfig{{Type: "fake"}, {Type: "fake", Name: "fake2", Params: json.RawMessage(`{"k":2}`), Pass: &domain.PassBand{Min: f(1)}}}, nil},
		{"missing type", []domain.ScorerConfig{{Name: "x"}}, []string{"[0].type"}},
		{"unknown type", []domain.ScorerConfig{{Type: "nope"}}, []string{"[0].type"}},
		{"unknown param", []domain.ScorerConfig{{Type: "fake", Params: json.RawMessage(`{"j":1}`)}}, []string{"[0].params"}},
		{"wrong param type", []domain.ScorerConfig{{Type: "fake", Params: json.RawMessage(`{"k":"two"}`)}}, []string{"[0].params.k"}},
		{"param out of range", []domain.ScorerConfig{{Type: "fake", Params: json.RawMessage(`{"k":9}`)}}, []string{"[0].params.k"}},
		{"constructor refuses", []domain.ScorerConfig{{Type: "fake", Params: json.RawMessage(`{"k":4}`)}}, []string{"[0].params.k"}},
		{"params not an object", []domain.ScorerConfig{{Type: "fake", Params: json.RawMessage(`[1]`)}}, []string{"[0].params"}},
		{"bad name", []domain.ScorerConfig{{Type: "fake", Name: "Has Space"}}, []string{"[0].name"}},
		{"duplicate name", []domain.ScorerConfig{{Type: "fake"}, {Type: "other", Name: "fake"}}, []string{"[1].name"}},
		{"empty pass", []domain.ScorerConfig{{Type: "fake", Pass: &domain.PassBand{}}}, []string{"[0].pass"}},
		{"pass min above max", []domain.ScorerConfig{{Type: "fake", Pass: &domain.PassBand{Min: f(2), Max: f(1)}}}, []string{"[0].pass"}},
		{"two bad configs", []domain.ScorerConfig{{Type: "nope"}, {Type: "fake", Params: json.RawMessage(`{"k":0}`)}}, []string{"[0].type", "[1].params.k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set, err := reg.Build(tt.cfgs)
			var got []string
			for _, fe := range domain.Fields(err) {
				got = append(got, fe.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("Build error fields = %v (%v), want %v", got, err, tt.fields)
			}
			if err == nil {
				cfgs := set.Configs()
				if cfgs[0].Name != "fake" || string(cfgs[0].Params) != "{}" {
					t.Errorf("normalised config = %+v, want name defaulted and params {}", cfgs[0])
				}
			}
		})
	}
}

func TestScoreBatch(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	slow := fakeType("slow", func(ctx context.Context, it scoring.Item) (scoring.Result, error) {
		calls.Add(1)
		if it.Response == "hang" {
			<-ctx.Done()
			return scoring.Result{}, ctx.Err()
		}
		return scoring.Result{Value: float64(len(it.Response))}, nil
	})
	panicky := fakeType("panicky", func(_ context.Context, it scoring.Item) (scoring.Result, error) {
		if it.Response == "boom" {
			panic("boom")
		}
		return scoring.Result{Value: 1, Details: map[string]any{"ok": true}}, nil
	})
	failing := fakeType("failing", func(context.Context, scoring.Item) (scoring.Result, error) {
		return scoring.Result{}, errors.New("no good")
	})
	reg, err := scoring.NewRegistry(slow, panicky, failing)
	if err != nil {
		t.Fatal(err)
	}
	three := 3.0
	set, err := reg.Build([]domain.ScorerConfig{{Type: "slow", Pass: &domain.PassBand{Max: &three}}, {Type: "panicky"}, {Type: "failing"}})
	if err != nil {
		t.Fatal(err)
	}
	set.Timeout = 200 * time.Millisecond
	items := []scoring.Item{{Response: "ab"}, {Response: "boom"}, {Response: "hang"}, {Response: "abcd"}}
	for i := 0; i < 20; i++ {
		items = append(items, scoring.Item{Response: strings.Repeat("x", i)})
	}
	out, err := set.ScoreBatch(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(items) {
		t.Fatalf("%d results for %d items", len(out), len(items))
	}
	for i, it := range items {
		if it.Response == "hang" {
			if !errors.Is(out[i][0].Err, scoring.ErrTimeout) {
				t.Errorf("item %d slow: err = %v, want ErrTimeout", i, out[i][0].Err)
			}
		} else if out[i][0].Err != nil || out[i][0].Result.Value != float64(len(it.Response)) {
			t.Errorf("item %d slow = %+v, want value %d (results out of order?)", i, out[i][0], len(it.Response))
		} else if p := out[i][0].Result.Passed; p == nil || *p != (len(it.Response) <= 3) {
			t.Errorf("item %d passed = %v, want %v", i, p, len(it.Response) <= 3)
		}
		var pe *scoring.PanicError
		if it.Response == "boom" {
			if !errors.As(out[i][1].Err, &pe) {
				t.Errorf("item %d panicky: err = %v, want a PanicError", i, out[i][1].Err)
			}
		} else if out[i][1].Err != nil || out[i][1].Result.Details["ok"] != true || out[i][1].Result.Passed != nil {
			t.Errorf("item %d panicky = %+v", i, out[i][1])
		}
		if out[i][2].Err == nil || out[i][2].Name != "failing" {
			t.Errorf("item %d failing = %+v, want its error", i, out[i][2])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := set.ScoreBatch(ctx, items); !errors.Is(err, context.Canceled) {
		t.Errorf("ScoreBatch(cancelled) error = %v, want context.Canceled", err)
	}
}

// TestScoreBatchLinear checks what a Linear type's calls keep and what they
// give up: they run on the worker's goroutine, so a panic is still an error of
// that item alone, but a call that runs past the budget is waited for and its
// result kept, where another type's call is reported as timed out.
func TestScoreBatchLinear(t *testing.T) {
	t.Parallel()
	const budget = 50 * time.Millisecond
	slow := func(ctx context.Context, it scoring.Item) (scoring.Result, error) {
		switch it.Response {
		case "boom":
			panic("boom")
		case "late":
			time.Sleep(2 * budget)
		}
		return scoring.Result{Value: float64(len(it.Response))}, nil
	}
	linear := fakeType("linear", slow)
	linear.Linear = true
	reg, err := scoring.NewRegistry(linear, fakeType("timed", slow))
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		set, err := reg.Build([]domain.ScorerConfig{{Type: "linear"}, {Type: "timed"}})
		if err != nil {
			t.Fatal(err)
		}
		set.Timeout, set.Workers = budget, workers
		items := []scoring.Item{{Response: "ab"}, {Response: "boom"}, {Response: "late"}, {Response: "abcde"}}
		out, err := set.ScoreBatch(context.Background(), items)
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range items {
			var pe *scoring.PanicError
			switch it.Response {
			case "boom":
				if !errors.As(out[i][0].Err, &pe) || !errors.As(out[i][1].Err, &pe) {
					t.Errorf("workers %d, item %d: errors %v and %v, want PanicErrors", workers, i, out[i][0].Err, out[i][1].Err)
				}
			case "late":
				if out[i][0].Err != nil || out[i][0].Result.Value != 4 {
					t.Errorf("workers %d, linear on a late item = %+v, want its value 4", workers, out[i][0])
				}
				if !errors.Is(out[i][1].Err, scoring.ErrTimeout) {
					t.Errorf("workers %d, timed on a late item: err = %v, want ErrTimeout", workers, out[i][1].Err)
				}
			default:
				for j := range 2 {
					if out[i][j].Err != nil || out[i][j].Result.Value != float64(len(it.Response)) {
						t.Errorf("workers %d, item %d scorer %d = %+v, want value %d", workers, i, j, out[i][j], len(it.Response))
					}
				}
			}
		}
	}
}

func TestNeedsReference(t *testing.T) {
	t.Parallel()
	ref := fakeType("ref", lengthOf)
	ref.NeedsReference = true
	reg, _ := scoring.NewRegistry(ref)
	set, err := reg.Build([]domain.ScorerConfig{{Type: "ref"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.NeedsReference(); len(got) != 1 || got[0] != "ref" {
		t.Errorf("NeedsReference = %v", got)
	}
	out, _ := set.Score(context.Background(), scoring.Item{Response: "x"})
	if out[0].Err == nil {
		t.Errorf("scoring without a reference succeeded")
	}
	out, _ = set.Score(context.Background(), scoring.Item{Response: "x", Reference: "", HasReference: true})
	if out[0].Err != nil {
		t.Errorf("an empty reference is a reference: %v", out[0].Err)
	}
}
