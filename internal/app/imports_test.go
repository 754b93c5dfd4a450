package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// noRecords is an empty file.
func noRecords(func(app.ImportRecord, error) bool) {}

func TestImportEvaluationErrors(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	imp, err := app.NewImports(svc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = imp.Import(context.Background(), app.ImportInput{Evaluation: "Not A Slug!"}, noRecords)
	if fs := domain.Fields(err); len(fs) == 0 || fs[0].Field != "name" {
		t.Errorf("import into an invalid name = %v, want a validation error on name", err)
	}
	_, err = imp.Import(context.Background(), app.ImportInput{Evaluation: "bad-scorer", Scorers: []domain.ScorerConfig{{Type: "nope"}}},
		noRecords)
	if len(domain.Fields(err)) == 0 {
		t.Errorf("import with an unknown scorer type = %v, want a validation error", err)
	}
	if _, err := app.NewImports(app.Services{}); err == nil || errors.Is(err, domain.ErrNotFound) {
		t.Errorf("NewImports without services = %v, want an error", err)
	}
}
