package assertion

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// TestConcurrentScoring runs every assertion from several goroutines at once (run it
// with -race) and checks each outcome against scoring the same item alone.
func TestConcurrentScoring(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(types()...)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	set, err := reg.Build([]domain.ScorerConfig{
		{Type: "contains", Params: json.RawMessage(`{"values":["STRASSE","7"],"case_sensitive":false}`)},
		{Type: "regex", Params: json.RawMessage(`{"pattern":"\\d+","flags":"i"}`)},
		{Type: "equals", Params: json.RawMessage(`{"use_reference":true,"case_sensitive":false}`)},
		{Type: "starts_with", Params: json.RawMessage(`{"value":"straße","case_sensitive":false}`)},
		{Type: "json", Params: json.RawMessage(`{"extract":"fenced","schema":{"type":"object","required":["n"]}}`)},
		{Type: "length"},
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	set.Workers = 8
	items := make([]scoring.Item, 300)
	for i := range items {
		resp := fmt.Sprintf("Straße %d\n```json\n{\"n\": %d}\n```", i, i)
		if i%3 == 0 {
			resp = fmt.Sprintf("no json here %d", i)
		}
		items[i] = scoring.Item{Response: resp, Reference: fmt.Sprintf("STRASSE %d", i%5), HasReference: true}
	}
	got, err := set.ScoreBatch(context.Background(), items)
	if err != nil {
		t.Fatalf("ScoreBatch: %v", err)
	}
	for i, item := range items {
		for j, b := range set.Scorers() {
			want, werr := b.Scorer.Score(context.Background(), item)
			if o := got[i][j]; o.Err != werr || o.Result.Value != want.Value || !reflect.DeepEqual(o.Result.Details, want.Details) {
				t.Fatalf("item %d scorer %s: concurrent %+v, alone %+v (%v)", i, o.Name, o.Result, want, werr)
			}
		}
	}
}
