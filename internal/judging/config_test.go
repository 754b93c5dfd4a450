package judging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

const alpacaLikeConfig = `{
  "name": "weighted-gpt4",
  "kind": "pairwise",
  "endpoint": {"base_url": "http://127.0.0.1:8000/v1", "model": "gpt-4-1106-preview", "api_key_env": "OPENAI_API_KEY",
               "headers": {"X-Team": "eval"}, "timeout": "30s"},
  "template": "<|im_start|>system\nbe fair\n<|im_end|>\n<|im_start|>user\n{instruction} m={output_1} M={output_2}\n<|im_end|>",
  "parser": {"type": "logprobs", "first": "m", "second": "M"},
  "order": "both",
  "params": {"temperature": 1, "max_tokens": 1, "top_logprobs": 5, "seed": 7, "vendor_flag": {"x": [1, 2]}},
  "price": {"input_per_million": 10, "output_per_million": 30},
  "limits": {"concurrency": 16, "requests_per_minute": 600, "tokens_per_minute": 100000, "max_attempts": 4}
}`

func TestDecodeConfig(t *testing.T) {
	t.Parallel()
	c, err := DecodeConfig([]byte(alpacaLikeConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "weighted-gpt4" || c.Kind != Pairwise || c.Order != OrderBoth || c.Parser.First != "m" || c.Parser.Second != "M" {
		t.Errorf("decoded %+v", c)
	}
	if c.Endpoint.Timeout != 30*time.Second || c.Endpoint.Protocol != ProtocolOpenAI || c.Endpoint.Headers["X-Team"] != "eval" {
		t.Errorf("endpoint = %+v", c.Endpoint)
	}
	if c.Params["seed"] != 7.0 || c.Params["vendor_flag"] == nil {
		t.Errorf("params = %v", c.Params)
	}
	if c.Limits != (Limits{Concurrency: 16, RequestsPerMinute: 600, TokensPerMinute: 100000, MaxAttempts: 4}) {
		t.Errorf("limits = %+v", c.Limits)
	}
	if c.Price != (Price{InputPerMillion: 10, OutputPerMillion: 30}) {
		t.Errorf("price = %+v", c.Price)
	}
}

func TestDecodeConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := DecodeConfig([]byte(`{"name": "v", "kind": "pairwise", "parser": {"type": "verdict"},
		"endpoint": {"base_url": "https://api.example.com/v1", "model": "m"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Order != OrderRandom || c.Endpoint.Protocol != ProtocolOpenAI || c.Endpoint.Timeout != DefaultTimeout ||
		c.Limits.Concurrency != DefaultConcurrency || c.Limits.MaxAttempts != DefaultMaxAttempts ||
		c.Parser.StrongWeight != DefaultStrongWeight {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.Template != DefaultTemplate(TemplatePairwiseVerdict) || c.Template == "" {
		t.Errorf("template = %q, want the shipped pairwise-verdict template", c.Template)
	}

	lp, err := DecodeConfig([]byte(`{"name": "l", "kind": "pairwise", "parser": {"type": "logprobs"},
		"endpoint": {"base_url": "https://api.example.com/v1", "model": "m"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if lp.Parser.First != "A" || lp.Parser.Second != "B" || lp.Params["top_logprobs"] != 5.0 || lp.Params["max_tokens"] != 1.0 {
		t.Errorf("logprobs defaults: parser %+v params %v", lp.Parser, lp.Params)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	t.Parallel()
	base := `"endpoint": {"base_url": "http://h/v1", "model": "m"}, "parser": {"type": "verdict"}`
	tests := []struct {
		name  string
		json  string
		field string
		msg   string
	}{
		{"not an object", `[1]`, "", "must be a JSON object"},
		{"unknown field", `{"name": "a", "kind": "pairwise", "colour": 1, ` + base + `}`, "colour", "unknown field"},
		{"unknown nested field", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m", "api_key": "sk-1"}, "parser": {"type": "verdict"}}`, "endpoint.api_key", "unknown field"},
		{"wrong type", `{"name": 3, "kind": "pairwise", ` + base + `}`, "name", "must be a string"},
		{"bad kind", `{"name": "a", "kind": "triple", ` + base + `}`, "kind", `"triple"`},
		{"bad name", `{"name": "a b", "kind": "pairwise", ` + base + `}`, "name", "letters"},
		{"no base url", `{"name": "a", "kind": "pairwise", "endpoint": {"model": "m"}, "parser": {"type": "verdict"}}`, "endpoint.base_url", "required"},
		{"relative base url", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "/v1", "model": "m"}, "parser": {"type": "verdict"}}`, "endpoint.base_url", "absolute"},
		{"key in url", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://u:sk@h/v1", "model": "m"}, "parser": {"type": "verdict"}}`, "endpoint.base_url", "credentials"},
		{"key instead of env name", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m", "api_key_env": "sk-abc-123"}, "parser": {"type": "verdict"}}`, "endpoint.api_key_env", "name of an environment variable"},
		{"authorization header", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m", "headers": {"Authorization": "Bearer x"}}, "parser": {"type": "verdict"}}`, "endpoint.headers.Authorization", "api_key_env"},
		{"bad timeout", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m", "timeout": "soon"}, "parser": {"type": "verdict"}}`, "endpoint.timeout", "duration"},
		{"bad protocol", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m", "protocol": "grpc"}, "parser": {"type": "verdict"}}`, "endpoint.protocol", "grpc"},
		{"reward over openai", `{"name": "a", "kind": "reward", "endpoint": {"base_url": "http://h/v1", "model": "m"}}`, "endpoint.protocol", "reward"},
		{"json without body", `{"name": "a", "kind": "reward", "endpoint": {"base_url": "http://h/score", "protocol": "json", "score_pointer": "/score"}}`, "endpoint.body_template", "required"},
		{"bad pointer", `{"name": "a", "kind": "reward", "endpoint": {"base_url": "http://h/score", "protocol": "json", "score_pointer": "score", "body_template": {"text": "{output}"}}}`, "endpoint.score_pointer", "JSON pointer"},
		{"no parser", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m"}}`, "parser.type", "required"},
		{"logprobs without tokens", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m"}, "template": "{output_1} {output_2}", "parser": {"type": "logprobs"}}`, "parser.first", "required"},
		{"same tokens", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m"}, "template": "{output_1} {output_2}", "parser": {"type": "logprobs", "first": "x", "second": "x"}}`, "parser.second", "differ"},
		{"score on pairwise", `{"name": "a", "kind": "pairwise", "endpoint": {"base_url": "http://h/v1", "model": "m"}, "template": "{output_1} {output_2}", "parser": {"type": "score", "min": 1, "max": 10}}`, "parser.type", "pairwise"},
		{"empty score range", `{"name": "a", "kind": "pointwise", "endpoint": {"base_url": "http://h/v1", "model": "m"}, "parser": {"type": "score", "min": 5, "max": 5}}`, "parser.max", "max > min"},
		{"weak strong weight", `{"name": "a", "kind": "pairwise", ` + `"endpoint": {"base_url": "http://h/v1", "model": "m"}, "parser": {"type": "verdict", "strong_weight": 0.5}}`, "parser.strong_weight", "≥ 1"},
		{"pairwise template lacks output_2", `{"name": "a", "kind": "pairwise", "template": "{instruction} {output_1}", ` + base + `}`, "template", "{output_2}"},
		{"pointwise template with pair placeholders", `{"name": "a", "kind": "pointwise", "template": "{output} {output_1}", "endpoint": {"base_url": "http://h/v1", "model": "m"}, "parser": {"type": "score", "min": 1, "max": 10}}`, "template", "pairwise"},
		{"broken chatml", `{"name": "a", "kind": "pairwise", "template": "<|im_start|>user\n{output_1} {output_2}", ` + base + `}`, "template", "<|im_end|>"},
		{"bad chatml role", `{"name": "a", "kind": "pairwise", "template": "<|im_start|>wizard\n{output_1} {output_2}<|im_end|>", ` + base + `}`, "template", "wizard"},
		{"bad order", `{"name": "a", "kind": "pairwise", "order": "sometimes", ` + base + `}`, "order", "random, both or fixed"},
		{"order on pointwise", `{"name": "a", "kind": "pointwise", "order": "both", "endpoint": {"base_url": "http://h/v1", "model": "m"}, "parser": {"type": "score", "min": 1, "max": 10}}`, "order", "only fixed"},
		{"temperature", `{"name": "a", "kind": "pairwise", "params": {"temperature": 3}, ` + base + `}`, "params.temperature", "[0, 2]"},
		{"temperature type", `{"name": "a", "kind": "pairwise", "params": {"temperature": "hot"}, ` + base + `}`, "params.temperature", "number"},
		{"seed fraction", `{"name": "a", "kind": "pairwise", "params": {"seed": 1.5}, ` + base + `}`, "params.seed", "integer"},
		{"top_logprobs", `{"name": "a", "kind": "pairwise", "params": {"top_logprobs": 50}, ` + base + `}`, "params.top_logprobs", "[0, 20]"},
		{"response_format", `{"name": "a", "kind": "pairwise", "params": {"response_format": "json"}, ` + base + `}`, "params.response_format", "object"},
		{"messages param", `{"name": "a", "kind": "pairwise", "params": {"messages": []}, ` + base + `}`, "params.messages", "set by the judge"},
		{"params on a reward judge", `{"name": "a", "kind": "reward", "params": {"seed": 1}, "endpoint": {"base_url": "http://h/v1", "model": "m", "protocol": "vllm-classify"}}`, "params", "protocol openai only"},
		{"template on a json reward judge", `{"name": "a", "kind": "reward", "template": "{output}", "endpoint": {"base_url": "http://h/s", "protocol": "json", "score_pointer": "/s", "body_template": {"t": "{output}"}}}`, "template", "body_template"},
		{"negative price", `{"name": "a", "kind": "pairwise", "price": {"input_per_million": -1}, ` + base + `}`, "price.input_per_million", "≥ 0"},
		{"fractional limit", `{"name": "a", "kind": "pairwise", "limits": {"concurrency": 1.5}, ` + base + `}`, "limits.concurrency", "integer"},
		{"zero attempts is default, negative is not", `{"name": "a", "kind": "pairwise", "limits": {"max_attempts": -2}, ` + base + `}`, "limits.max_attempts", "at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeConfig([]byte(tt.json))
			if err == nil {
				t.Fatal("DecodeConfig succeeded, want an error")
			}
			for _, f := range domain.Fields(err) {
				if f.Field == tt.field && strings.Contains(f.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("errors = %v; want field %q with %q", err, tt.field, tt.msg)
		})
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	a, err := DecodeConfig([]byte(alpacaLikeConfig))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := a.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	// The same configuration written differently: keys reordered, defaults stated,
	// the timeout in seconds.
	b, err := DecodeConfig([]byte(`{
  "limits": {"max_attempts": 4, "tokens_per_minute": 100000, "requests_per_minute": 600, "concurrency": 16},
  "price": {"output_per_million": 30, "input_per_million": 10},
  "params": {"vendor_flag": {"x": [1, 2]}, "seed": 7, "top_logprobs": 5, "max_tokens": 1, "temperature": 1.0},
  "order": "both",
  "parser": {"second": "M", "first": "m", "type": "logprobs"},
  "template": "<|im_start|>system\nbe fair\n<|im_end|>\n<|im_start|>user\n{instruction} m={output_1} M={output_2}\n<|im_end|>",
  "endpoint": {"timeout": 30, "headers": {"X-Team": "eval"}, "protocol": "openai", "api_key_env": "OPENAI_API_KEY", "model": "gpt-4-1106-preview", "base_url": "http://127.0.0.1:8000/v1"},
  "kind": "pairwise", "name": "weighted-gpt4"}`))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca, cb) {
		t.Errorf("canonical forms differ:\n%s\n%s", ca, cb)
	}
	// The canonical form decodes to the same configuration.
	again, err := DecodeConfig(ca)
	if err != nil {
		t.Fatalf("canonical form does not decode: %v\n%s", err, ca)
	}
	if cc, _ := again.Canonical(); !bytes.Equal(cc, ca) {
		t.Errorf("canonical form is not a fixed point:\n%s\n%s", ca, cc)
	}
	// encoding/json round-trips a configuration through the canonical form.
	var viaJSON Config
	// (json.Marshal escapes <, > and & in it; Canonical does not.)
	if b, err := json.Marshal(a); err != nil {
		t.Errorf("json.Marshal: %v", err)
	} else if err := json.Unmarshal(b, &viaJSON); err != nil {
		t.Errorf("json.Unmarshal of the canonical form: %v", err)
	} else if cv, _ := viaJSON.Canonical(); !bytes.Equal(cv, ca) {
		t.Errorf("json round trip changed the configuration:\n%s\n%s", ca, cv)
	}
	// Any change is a new version.
	b.Params["temperature"] = 0.0
	if cb2, _ := b.Canonical(); bytes.Equal(cb2, ca) {
		t.Error("a changed temperature gives the same canonical bytes")
	}
	if !strings.Contains(string(ca), `"api_key_env":"OPENAI_API_KEY"`) {
		t.Errorf("canonical form lacks the key's variable name: %s", ca)
	}
}

func TestDecodeRewardConfig(t *testing.T) {
	t.Parallel()
	c, err := DecodeConfig([]byte(`{"name": "rm", "kind": "reward",
		"endpoint": {"base_url": "http://h:8000/v1", "model": "rm-7b", "protocol": "vllm-classify"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint.ScorePointer != "/data/0/probs/0" || c.Order != OrderFixed {
		t.Errorf("reward defaults: %+v", c)
	}
	j, err := DecodeConfig([]byte(`{"name": "rmj", "kind": "reward",
		"endpoint": {"base_url": "http://h/score", "protocol": "json", "score_pointer": "/result/score",
		             "body_template": {"prompt": "{instruction}", "response": "{output}"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.Endpoint.BodyTemplate, `"{output}"`) {
		t.Errorf("body template = %q", j.Endpoint.BodyTemplate)
	}
}
