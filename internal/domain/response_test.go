package domain

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestNewResponseDefaults(t *testing.T) {
	t.Parallel()
	empty := ""
	got, err := NewResponse(Response{Model: "m", Prompt: "What is 2+2?"}, &empty, ResponseRules{MaxTextBytes: 100})
	if err != nil {
		t.Fatalf("NewResponse: %v", err)
	}
	if got.PromptID != PromptHash("What is 2+2?") {
		t.Errorf("PromptID = %q, want the prompt's hash %q", got.PromptID, PromptHash("What is 2+2?"))
	}
	if got.Metadata == nil || len(got.Metadata) != 0 {
		t.Errorf("Metadata = %#v, want an empty map", got.Metadata)
	}
	if got.Text != "" {
		t.Errorf("Text = %q, want the empty text given", got.Text)
	}

	text := "4"
	in := Response{Model: "m", Prompt: "p", PromptID: "q1", Metadata: map[string]any{"k": "v"},
		Context: []Message{{Role: "user", Content: "hi"}}}
	got, err = NewResponse(in, &text, ResponseRules{})
	if err != nil {
		t.Fatalf("NewResponse: %v", err)
	}
	if got.PromptID != "q1" || got.Text != "4" || got.Metadata["k"] != "v" || !reflect.DeepEqual(got.Context, in.Context) {
		t.Errorf("NewResponse = %+v, want the given prompt id, text, metadata and context kept", got)
	}
}

func TestNewResponseRejects(t *testing.T) {
	t.Parallel()
	text := "an answer"
	ok := func() Response { return Response{Model: "m", Prompt: "p"} }
	with := func(f func(*Response)) Response { r := ok(); f(&r); return r }
	str := func(s string) *string { return &s }
	manyTurns := make([]Message, MaxContextTurns+1)
	for i := range manyTurns {
		manyTurns[i] = Message{Role: "user", Content: "x"}
	}
	tests := []struct {
		name  string
		r     Response
		text  *string
		rules ResponseRules
		field string
		msg   string
	}{
		{"external id too long", with(func(r *Response) { r.ExternalID = strings.Repeat("e", MaxExternalIDLen+1) }), &text, ResponseRules{},
			"external_id", "must be at most 200 bytes"},
		{"prompt id not UTF-8", with(func(r *Response) { r.PromptID = "q\xff" }), &text, ResponseRules{},
			"prompt_id", "is not valid UTF-8"},
		{"model missing", with(func(r *Response) { r.Model = "" }), &text, ResponseRules{},
			"model", "is required"},
		{"model with a newline", with(func(r *Response) { r.Model = "gpt\n4" }), &text, ResponseRules{},
			"model", "must not contain control characters"},
		{"prompt missing", with(func(r *Response) { r.Prompt = "" }), &text, ResponseRules{},
			"prompt", "is required"},
		{"prompt over the text bound", with(func(r *Response) { r.Prompt = "12345678901" }), &text, ResponseRules{MaxTextBytes: 10},
			"prompt", "is 11 bytes; at most 10 allowed"},
		{"prompt with NUL", with(func(r *Response) { r.Prompt = "a\x00b" }), &text, ResponseRules{},
			"prompt", "must not contain NUL characters"},
		{"response missing", ok(), nil, ResponseRules{},
			"response", "is required (an empty string is allowed)"},
		{"response over the text bound", ok(), str("12345678901"), ResponseRules{MaxTextBytes: 10},
			"response", "is 11 bytes; at most 10 allowed"},
		{"response not UTF-8", ok(), str("\xc3"), ResponseRules{},
			"response", "is not valid UTF-8"},
		{"reference a scorer needs", ok(), &text, ResponseRules{NeedsReference: []string{"bleu", "chrf"}},
			"reference", `is required by scorer "bleu" of this evaluation`},
		{"reference with NUL", with(func(r *Response) { r.Reference = str("\x00") }), &text, ResponseRules{},
			"reference", "must not contain NUL characters"},
		{"too many context turns", with(func(r *Response) { r.Context = manyTurns }), &text, ResponseRules{},
			"context", "has 1001 messages; at most 1000 allowed"},
		{"context role missing", with(func(r *Response) { r.Context = []Message{{Role: "user"}, {Content: "x"}} }), &text, ResponseRules{},
			"context[1].role", "is required"},
		{"context role too long", with(func(r *Response) { r.Context = []Message{{Role: strings.Repeat("r", MaxRoleLen+1)}} }), &text, ResponseRules{},
			"context[0].role", "must be at most 50 bytes"},
		{"context content over the text bound", with(func(r *Response) { r.Context = []Message{{Role: "user", Content: "12345678901"}} }), &text, ResponseRules{MaxTextBytes: 10},
			"context[0].content", "is 11 bytes; at most 10 allowed"},
		{"metadata too large", with(func(r *Response) { r.Metadata = map[string]any{"k": strings.Repeat("x", MaxMetadataBytes)} }), &text, ResponseRules{},
			"metadata", "bytes encoded; at most 65536 allowed"},
		{"metadata not JSON", with(func(r *Response) { r.Metadata = map[string]any{"k": math.NaN()} }), &text, ResponseRules{},
			"metadata", "cannot be encoded as JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewResponse(tt.r, tt.text, tt.rules)
			fields := Fields(err)
			if len(fields) != 1 {
				t.Fatalf("NewResponse = %+v, %v; want one error on %s", got, err, tt.field)
			}
			if fields[0].Field != tt.field || !strings.Contains(fields[0].Msg, tt.msg) {
				t.Errorf("error = %s: %s, want %s: %s", fields[0].Field, fields[0].Msg, tt.field, tt.msg)
			}
		})
	}
}

// Every problem is reported, in the order of the fields, so a client fixes a
// response in one round.
func TestNewResponseReportsEveryFieldInOrder(t *testing.T) {
	t.Parallel()
	r := Response{ExternalID: "x\x01", Context: []Message{{Content: "ab\x00"}}, Metadata: map[string]any{"bad": math.Inf(1)}}
	_, err := NewResponse(r, nil, ResponseRules{MaxTextBytes: 2, NeedsReference: []string{"squad"}})
	var got []string
	for _, f := range Fields(err) {
		got = append(got, f.Field)
	}
	want := []string{"external_id", "model", "prompt", "response", "reference", "context[0].role", "context[0].content", "context[0].content", "metadata"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %q, want %q (%v)", got, want, err)
	}
}

func TestNewResponseTextBoundZeroIsUnbounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 1<<16)
	if _, err := NewResponse(Response{Model: "m", Prompt: long}, &long, ResponseRules{}); err != nil {
		t.Errorf("NewResponse with MaxTextBytes 0 = %v, want no bound", err)
	}
}

// BenchmarkNewResponse checks a response of the size BenchmarkIngest streams
// (about 1.5 KB of text, a 280-byte prompt, two context turns).
func BenchmarkNewResponse(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog while the cat sleeps. ", 23)
	r := Response{ExternalID: "ext-1", Model: "m1", Prompt: strings.Repeat("prompt ", 40),
		Context: []Message{{Role: "user", Content: "hello"}, {Role: "assistant", Content: "hi"}}}
	rules := ResponseRules{MaxTextBytes: 1 << 20}
	b.SetBytes(int64(len(text) + len(r.Prompt)))
	for b.Loop() {
		if _, err := NewResponse(r, &text, rules); err != nil {
			b.Fatal(err)
		}
	}
}
