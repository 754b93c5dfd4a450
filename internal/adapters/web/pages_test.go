package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// TestDiffBodyStates renders the diff's body while its per-prompt means are
// being prepared (it asks for itself again) and after their refresh failed (it
// shows the error, escaped, and stops asking).
func TestDiffBodyStates(t *testing.T) {
	t.Parallel()
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	ev := domain.ID{}
	job := domain.Job{ID: domain.ID{1}, Kind: "prompt_means", EvaluationID: &ev, Status: domain.JobQueued, CreatedAt: time.Now()}
	render := func(d diffData) string {
		t.Helper()
		var buf bytes.Buffer
		if err := pages["diff"].ExecuteTemplate(&buf, "body", d); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	waiting := render(diffData{Preparing: []domain.Job{job}, Poll: "/evaluations/a/diff?view=body"})
	if !strings.Contains(waiting, `hx-trigger="every 1s"`) || !strings.Contains(waiting, `id="diff-preparing"`) || strings.Contains(waiting, `id="diff-failed"`) {
		t.Errorf("preparing body = %s; want it to poll and say the means are being prepared", waiting)
	}
	failed := job
	failed.Status, failed.Error = domain.JobFailed, `<script>alert(1)</script> disk full`
	shown := render(diffData{Preparing: []domain.Job{failed}, Failed: []domain.Job{failed}, Poll: "/evaluations/a/diff?view=body"})
	if strings.Contains(shown, "hx-trigger") || !strings.Contains(shown, `id="diff-failed"`) ||
		!strings.Contains(shown, "&lt;script&gt;alert(1)&lt;/script&gt; disk full") || strings.Contains(shown, "<script>") {
		t.Errorf("failed body = %s; want the escaped error and no polling", shown)
	}
}
