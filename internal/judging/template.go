package judging

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// The placeholders a template may hold.
const (
	phInstruction = "{instruction}"
	phOutput1     = "{output_1}"
	phOutput2     = "{output_2}"
	phOutput      = "{output}"
	phReference   = "{reference}"
)

// ChatML markers, as AlpacaEval's evaluator templates use them.
const (
	chatMLStart = "<|im_start|>"
	chatMLEnd   = "<|im_end|>"
)

//go:embed templates/*.txt
var templateFiles embed.FS

// The default templates shipped with rlhf-eval (see DefaultTemplate).
const (
	// TemplatePairwiseLogprobs asks for the single letter A or B of the better
	// output; read with the logprobs parser (first "A", second "B").
	TemplatePairwiseLogprobs = "pairwise-logprobs"
	// TemplatePairwiseVerdict asks for reasoning and a final [[A]], [[B]] or [[C]].
	TemplatePairwiseVerdict = "pairwise-verdict"
	// TemplateRubric asks for a grade from 1 to 10 as [[n]].
	TemplateRubric = "rubric-grade"
	// TemplateRefusal asks whether a response refuses, as [[1]] (refusal) or [[0]].
	TemplateRefusal = "refusal"
	// TemplateRefusalKind asks whether a response refuses by the labelling guide's
	// rules (docs/labelling.md), as [[2]] (full), [[1]] (partial) or [[0]] (no
	// refusal), with a "Reason:" line; read with the score parser, min 0, max 2,
	// and RefusalOf.
	TemplateRefusalKind = "refusal-kind"
)

// DefaultTemplate returns the text of one of the shipped templates, or "" for an
// unknown name.
func DefaultTemplate(name string) string {
	b, err := templateFiles.ReadFile("templates/" + name + ".txt")
	if err != nil {
		return ""
	}
	return string(b)
}

// DefaultTemplateNames lists the shipped templates.
func DefaultTemplateNames() []string {
	return []string{TemplatePairwiseLogprobs, TemplatePairwiseVerdict, TemplateRubric, TemplateRefusal, TemplateRefusalKind}
}

// defaultTemplateFor picks the shipped template a judge without one gets, and for
// the logprobs parser the tokens that template asks for.
func defaultTemplateFor(kind Kind, parser string) (name, first, second string, ok bool) {
	switch {
	case kind == Pairwise && parser == ParserLogprobs:
		return TemplatePairwiseLogprobs, "A", "B", true
	case kind == Pairwise && parser == ParserVerdict:
		return TemplatePairwiseVerdict, "", "", true
	case kind == Pointwise && parser == ParserScore:
		return TemplateRubric, "", "", true
	}
	return "", "", "", false
}

// checkTemplate reports a template that lacks a placeholder its kind needs, holds
// one of another kind, or is malformed ChatML.
func checkTemplate(t string, kind Kind) error {
	has := func(ph string) bool { return strings.Contains(t, ph) }
	switch kind {
	case Pairwise:
		if !has(phOutput1) || !has(phOutput2) {
			return errors.New("a pairwise template must hold both {output_1} and {output_2}")
		}
		if has(phOutput) || has(phReference) {
			return errors.New("{output} and {reference} belong to pointwise templates; a pairwise one uses {output_1} and {output_2}")
		}
	default:
		if !has(phOutput) {
			return errors.New("a pointwise template must hold {output}")
		}
		if has(phOutput1) || has(phOutput2) {
			return errors.New("{output_1} and {output_2} belong to pairwise templates; a pointwise one uses {output}")
		}
	}
	if isChatML(t) {
		if _, err := splitChatML(t); err != nil {
			return err
		}
	}
	return nil
}

// fill replaces each placeholder in t with its value in one pass over t, so a
// value that happens to contain placeholder text is never substituted into.
func fill(t string, values map[string]string) string {
	var b strings.Builder
	b.Grow(len(t) + 256)
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		t = t[i:]
		j := strings.IndexByte(t, '}')
		if j < 0 {
			b.WriteString(t)
			return b.String()
		}
		if v, ok := values[t[:j+1]]; ok {
			b.WriteString(v)
			t = t[j+1:]
			continue
		}
		b.WriteByte('{')
		t = t[1:]
	}
}

func isChatML(t string) bool { return strings.HasPrefix(strings.TrimSpace(t), chatMLStart) }

// render fills t and turns it into chat messages: a ChatML template is split into
// its messages after filling, as AlpacaEval does; any other template is one user
// message.
func render(t string, values map[string]string) ([]domain.Message, error) {
	text := fill(t, values)
	if !isChatML(t) {
		return []domain.Message{{Role: "user", Content: text}}, nil
	}
	return splitChatML(text)
}

// splitChatML splits ChatML text into messages the way AlpacaEval's
// prompt_to_chatml does: the text is trimmed and must start with <|im_start|> and
// end with <|im_end|>; each <|im_start|> opens a message whose role is the rest
// of its first line (trimmed) and whose content is what follows, up to the first
// <|im_end|>, trimmed. A role "system name=x" is a system message named x.
func splitChatML(text string) ([]domain.Message, error) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, chatMLStart) || !strings.HasSuffix(text, chatMLEnd) {
		return nil, errors.New("a ChatML template must start with <|im_start|> and end with <|im_end|>")
	}
	parts := strings.Split(text, chatMLStart)[1:]
	msgs := make([]domain.Message, 0, len(parts))
	for _, p := range parts {
		head, body, ok := strings.Cut(p, "\n")
		if !ok {
			return nil, fmt.Errorf("ChatML message %q has no line break after its role", truncate(p, 40))
		}
		role := strings.TrimSpace(head)
		content, _, _ := strings.Cut(body, chatMLEnd)
		m := domain.Message{Role: role, Content: strings.TrimSpace(content)}
		if strings.HasPrefix(role, "system") && role != "system" {
			name, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(role, "system")), "name=")
			if !ok || name == "" {
				return nil, fmt.Errorf("ChatML role %q: want system, user, assistant or \"system name=...\"", role)
			}
			m.Role, m.Name = "system", name
		}
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return nil, fmt.Errorf("ChatML role %q: want system, user, assistant or \"system name=...\"", role)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// checkBodyTemplate reports a json-protocol body template that is not a JSON
// object or names no placeholder.
func checkBodyTemplate(t string) error {
	var obj map[string]any
	if err := json.Unmarshal([]byte(t), &obj); err != nil || obj == nil {
		return errors.New("must be a JSON object whose string values may hold {instruction}, {output}, {reference}")
	}
	if !strings.Contains(t, phOutput) {
		return errors.New("must hold {output} in a string value")
	}
	return nil
}

// renderBody fills a body template: each placeholder inside a JSON string value
// becomes the text, JSON-escaped, so any text yields valid JSON.
func renderBody(t string, values map[string]string) []byte {
	esc := make(map[string]string, len(values))
	for k, v := range values {
		b, _ := json.Marshal(v)
		esc[k] = string(b[1 : len(b)-1])
	}
	return []byte(fill(t, esc))
}

// checkPointer reports a malformed RFC 6901 JSON pointer.
func checkPointer(p string) error {
	if p == "" {
		return errors.New("is required: the JSON pointer of the score in the reply, such as /score")
	}
	if p[0] != '/' {
		return fmt.Errorf("%q is not a JSON pointer; it must start with '/'", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 >= len(p) || (p[i+1] != '0' && p[i+1] != '1')) {
			return fmt.Errorf("%q: '~' must be followed by 0 or 1", p)
		}
	}
	return nil
}

// lookupPointer returns the value at JSON pointer p in the decoded document v.
func lookupPointer(v any, p string) (any, error) {
	if p == "" {
		return v, nil
	}
	for _, tok := range strings.Split(p[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			v = e
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("no element %q in an array of %d", tok, len(x))
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("cannot step into %T with %q", v, tok)
		}
	}
	return v, nil
}

// pointerNumber reads a number at JSON pointer p in the JSON document data.
func pointerNumber(data []byte, p string) (float64, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return 0, fmt.Errorf("reply is not JSON: %w", err)
	}
	v, err := lookupPointer(doc, p)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p, err)
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("%s is %q, not a number", p, x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("%s is %T, not a number", p, v)
}
