package domain_test

import (
	"errors"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func TestJobStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		final bool
	}{
		{"queued", false}, {"running", false}, {"succeeded", true}, {"failed", true}, {"cancelled", true},
	} {
		st, err := domain.ParseJobStatus(tc.in)
		if err != nil || string(st) != tc.in || st.Final() != tc.final {
			t.Errorf("ParseJobStatus(%q) = %q (final %v), %v; want final %v", tc.in, st, st.Final(), err, tc.final)
		}
	}
	var ve *domain.ValidationError
	for _, bad := range []string{"", "done", "Queued", "canceled"} {
		if _, err := domain.ParseJobStatus(bad); !errors.As(err, &ve) || ve.Field != "status" {
			t.Errorf("ParseJobStatus(%q) error = %v, want a ValidationError of status", bad, err)
		}
	}
}
