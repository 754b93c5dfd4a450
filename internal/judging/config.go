package judging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Kind says what a judge looks at and what it returns.
type Kind string

// The judge kinds.
const (
	// Pairwise judges compare two outputs for one instruction and return
	// P(the second output is better).
	Pairwise Kind = "pairwise"
	// Pointwise judges grade one output (optionally against a reference).
	Pointwise Kind = "pointwise"
	// Reward judges ask a reward model for a scalar score of one output.
	Reward Kind = "reward"
)

// The endpoint protocols.
const (
	// ProtocolOpenAI is OpenAI's chat-completions API (also served by vLLM,
	// llama.cpp's server, TGI).
	ProtocolOpenAI = "openai"
	// ProtocolVLLMClassify is vLLM's classification API: POST /classify with
	// {"model", "input"}, scores in data[i].probs.
	ProtocolVLLMClassify = "vllm-classify"
	// ProtocolJSON posts a JSON body built from Endpoint.BodyTemplate to the
	// base URL and reads the score at Endpoint.ScorePointer.
	ProtocolJSON = "json"
)

// The order policies of a pairwise judge.
const (
	// OrderRandom shows the two outputs in an order drawn from Pair.Key.
	OrderRandom = "random"
	// OrderBoth asks twice, once in each order, and combines the verdicts.
	OrderBoth = "both"
	// OrderFixed always shows Output1 first.
	OrderFixed = "fixed"
)

// The parser types.
const (
	ParserLogprobs = "logprobs"
	ParserVerdict  = "verdict"
	ParserScore    = "score"
)

// Defaults applied by DecodeConfig, so that a stored configuration states them.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultConcurrency = 8
	DefaultMaxAttempts = 5
	// DefaultStrongWeight is how many weak verdicts a strong one ([[A>>B]]) is
	// worth, as Arena-Hard counts them.
	DefaultStrongWeight = 3.0
)

// Config is a judge: which endpoint to ask, how to ask, and how to read the reply.
type Config struct {
	Name     string
	Kind     Kind
	Endpoint Endpoint
	Template string
	Parser   ParserConfig
	Order    string
	Params   map[string]any
	Price    Price
	Limits   Limits
}

// Endpoint is where a judge's model is served.
type Endpoint struct {
	// BaseURL is the URL an OpenAI client takes (http://host:8000/v1).
	BaseURL string
	Model   string
	// APIKeyEnv names the environment variable that holds the API key. The key
	// itself is never part of a configuration.
	APIKeyEnv string
	Protocol  string
	Headers   map[string]string
	Timeout   time.Duration
	// BodyTemplate (protocol json) is a JSON document whose string values may hold
	// the placeholders {instruction}, {output}, {reference}; each is replaced with
	// the text, JSON-escaped.
	BodyTemplate string
	// ScorePointer is the RFC 6901 JSON pointer of the score in the reply
	// (protocols json and vllm-classify).
	ScorePointer string
}

// ParserConfig says how a reply becomes a verdict.
type ParserConfig struct {
	// Type is logprobs, verdict or score.
	Type string
	// First and Second (logprobs) are the tokens that say the first or the second
	// shown output is better. A pointwise logprobs judge scores P(First).
	First, Second string
	// StrongWeight (verdict) is how many weak verdicts a strong one is worth; a
	// weak verdict A>B then maps to P(B better) = 0.5 − 0.5/StrongWeight.
	StrongWeight float64
	// Min and Max (score) bound a valid grade.
	Min, Max float64
	// Pointer (score) reads the grade from a JSON reply at this JSON pointer
	// instead of from the last [[n]] in the text.
	Pointer string
}

// Price is what an endpoint charges, per million tokens.
type Price struct {
	InputPerMillion, OutputPerMillion float64
}

// Limits bound a judge's use of its endpoint. Zero means no limit, except for
// MaxAttempts (default DefaultMaxAttempts) and Concurrency (default
// DefaultConcurrency).
type Limits struct {
	Concurrency, RequestsPerMinute, TokensPerMinute, MaxAttempts int
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// DecodeConfig reads a judge configuration from JSON, strictly: unknown fields,
// wrong types and bad values are *domain.ValidationError values (joined) whose
// Field is the JSON path ("endpoint.base_url", "params.temperature"). Defaults
// are filled in, so the result states everything the judge will do.
func DecodeConfig(data []byte) (Config, error) {
	var c Config
	d := &decoder{}
	d.object(data, "", map[string]func([]byte, string){
		"name":     d.str(&c.Name),
		"kind":     func(b []byte, p string) { var s string; d.str(&s)(b, p); c.Kind = Kind(s) },
		"endpoint": func(b []byte, p string) { d.endpoint(b, p, &c.Endpoint) },
		"template": d.str(&c.Template),
		"parser": func(b []byte, p string) {
			d.object(b, p, map[string]func([]byte, string){
				"type":          d.str(&c.Parser.Type),
				"first":         d.str(&c.Parser.First),
				"second":        d.str(&c.Parser.Second),
				"strong_weight": d.num(&c.Parser.StrongWeight),
				"min":           d.num(&c.Parser.Min),
				"max":           d.num(&c.Parser.Max),
				"pointer":       d.str(&c.Parser.Pointer),
			})
		},
		"order": d.str(&c.Order),
		"params": func(b []byte, p string) {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil || m == nil {
				d.fail(p, "must be a JSON object")
				return
			}
			c.Params = normalizeNumbers(m).(map[string]any)
		},
		"price": func(b []byte, p string) {
			d.object(b, p, map[string]func([]byte, string){
				"input_per_million":  d.num(&c.Price.InputPerMillion),
				"output_per_million": d.num(&c.Price.OutputPerMillion),
			})
		},
		"limits": func(b []byte, p string) {
			d.object(b, p, map[string]func([]byte, string){
				"concurrency":         d.integer(&c.Limits.Concurrency),
				"requests_per_minute": d.integer(&c.Limits.RequestsPerMinute),
				"tokens_per_minute":   d.integer(&c.Limits.TokensPerMinute),
				"max_attempts":        d.integer(&c.Limits.MaxAttempts),
			})
		},
	})
	c = c.withDefaults()
	if err := c.Validate(); err != nil || len(d.errs) > 0 {
		// Report every problem once: a field that could not be decoded is not
		// also reported as invalid.
		errs := d.errs
		for _, f := range domain.Fields(err) {
			if !d.covers(f.Field) {
				errs = append(errs, f)
			}
		}
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// covers reports whether a decoding error was reported at field or above it.
func (d *decoder) covers(field string) bool {
	for _, e := range domain.Fields(errors.Join(d.errs...)) {
		if e.Field == "" || e.Field == field || strings.HasPrefix(field, e.Field+".") {
			return true
		}
	}
	return false
}

// withDefaults fills in what a configuration may leave out.
func (c Config) withDefaults() Config {
	if c.Endpoint.Protocol == "" {
		c.Endpoint.Protocol = ProtocolOpenAI
	}
	if c.Endpoint.Timeout == 0 {
		c.Endpoint.Timeout = DefaultTimeout
	}
	if c.Endpoint.Protocol == ProtocolVLLMClassify && c.Endpoint.ScorePointer == "" {
		c.Endpoint.ScorePointer = "/data/0/probs/0"
	}
	if c.Order == "" {
		c.Order = OrderFixed
		if c.Kind == Pairwise {
			c.Order = OrderRandom
		}
	}
	if c.Limits.Concurrency == 0 {
		c.Limits.Concurrency = DefaultConcurrency
	}
	if c.Limits.MaxAttempts == 0 {
		c.Limits.MaxAttempts = DefaultMaxAttempts
	}
	if c.Parser.Type == ParserVerdict && c.Parser.StrongWeight == 0 {
		c.Parser.StrongWeight = DefaultStrongWeight
	}
	if c.Template == "" && c.Kind != Reward {
		if name, first, second, ok := defaultTemplateFor(c.Kind, c.Parser.Type); ok {
			c.Template = DefaultTemplate(name)
			if c.Parser.Type == ParserLogprobs && c.Parser.First == "" && c.Parser.Second == "" {
				c.Parser.First, c.Parser.Second = first, second
			}
		}
	}
	if c.Params == nil {
		c.Params = map[string]any{}
	}
	if c.Parser.Type == ParserLogprobs {
		// Logprobs of the first token are what the parser reads; asking for them is
		// not optional, and one token is all it needs.
		if _, ok := c.Params["top_logprobs"]; !ok {
			c.Params["top_logprobs"] = 5.0
		}
		if _, ok := c.Params["max_tokens"]; !ok {
			c.Params["max_tokens"] = 1.0
		}
	}
	return c
}

// Validate reports every problem with c as joined *domain.ValidationError values.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) { errs = append(errs, domain.Invalid(field, format, args...)) }
	if !namePattern.MatchString(c.Name) {
		bad("name", "must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	switch c.Kind {
	case Pairwise, Pointwise, Reward:
	case "":
		bad("kind", "is required: pairwise, pointwise or reward")
	default:
		bad("kind", "is %q; want pairwise, pointwise or reward", c.Kind)
	}
	errs = append(errs, c.Endpoint.validate(c.Kind)...)
	errs = append(errs, c.validateParserAndTemplate()...)
	switch {
	case c.Kind == Pairwise && c.Order != OrderRandom && c.Order != OrderBoth && c.Order != OrderFixed:
		bad("order", "is %q; want random, both or fixed", c.Order)
	case c.Kind != Pairwise && c.Order != "" && c.Order != OrderFixed:
		bad("order", "is %q; a %s judge sees one output, so only fixed applies", c.Order, c.Kind)
	}
	errs = append(errs, validateParams(c.Params, c.Endpoint.Protocol, c.Parser.Type)...)
	if c.Price.InputPerMillion < 0 || math.IsNaN(c.Price.InputPerMillion) || math.IsInf(c.Price.InputPerMillion, 0) {
		bad("price.input_per_million", "must be a finite number ≥ 0")
	}
	if c.Price.OutputPerMillion < 0 || math.IsNaN(c.Price.OutputPerMillion) || math.IsInf(c.Price.OutputPerMillion, 0) {
		bad("price.output_per_million", "must be a finite number ≥ 0")
	}
	for _, l := range []struct {
		field string
		v     int
		min   int
	}{
		{"limits.concurrency", c.Limits.Concurrency, 1},
		{"limits.requests_per_minute", c.Limits.RequestsPerMinute, 0},
		{"limits.tokens_per_minute", c.Limits.TokensPerMinute, 0},
		{"limits.max_attempts", c.Limits.MaxAttempts, 1},
	} {
		if l.v < l.min {
			bad(l.field, "is %d; must be at least %d", l.v, l.min)
		}
	}
	if c.Limits.Concurrency > 4096 {
		bad("limits.concurrency", "is %d; at most 4096", c.Limits.Concurrency)
	}
	if c.Limits.MaxAttempts > 100 {
		bad("limits.max_attempts", "is %d; at most 100", c.Limits.MaxAttempts)
	}
	return errors.Join(errs...)
}

func (e Endpoint) validate(kind Kind) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, domain.Invalid("endpoint."+field, format, args...))
	}
	if e.BaseURL == "" {
		bad("base_url", "is required, as an OpenAI client takes it (http://host:8000/v1)")
	} else if u, err := url.Parse(e.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url", "must be an absolute http or https URL such as http://host:8000/v1")
	} else if u.User != nil {
		bad("base_url", "must not carry credentials; name the key's environment variable in api_key_env")
	} else if u.RawQuery != "" || u.Fragment != "" {
		bad("base_url", "must not have a query or a fragment")
	}
	if e.Model == "" && e.Protocol != ProtocolJSON {
		bad("model", "is required")
	}
	if e.APIKeyEnv != "" && !envNamePattern.MatchString(e.APIKeyEnv) {
		bad("api_key_env", "must be the name of an environment variable (letters, digits, '_'), not the key itself")
	}
	switch e.Protocol {
	case ProtocolOpenAI:
		if kind == Reward {
			bad("protocol", "a reward judge needs protocol vllm-classify or json")
		}
		if e.BodyTemplate != "" || e.ScorePointer != "" {
			bad("protocol", "body_template and score_pointer apply to protocols json and vllm-classify only")
		}
	case ProtocolVLLMClassify, ProtocolJSON:
		if kind != Reward && kind != "" {
			bad("protocol", "%s serves reward judges; a %s judge needs protocol openai", e.Protocol, kind)
		}
		if err := checkPointer(e.ScorePointer); err != nil {
			bad("score_pointer", "%v", err)
		}
		if e.Protocol == ProtocolJSON {
			if e.BodyTemplate == "" {
				bad("body_template", "is required for protocol json")
			} else if err := checkBodyTemplate(e.BodyTemplate); err != nil {
				bad("body_template", "%v", err)
			}
		} else if e.BodyTemplate != "" {
			bad("body_template", "applies to protocol json only")
		}
	default:
		bad("protocol", "is %q; want openai, vllm-classify or json", e.Protocol)
	}
	keys := make([]string, 0, len(e.Headers))
	for k := range e.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !headerNamePattern.MatchString(k) {
			bad("headers."+k, "is not a valid HTTP header name")
		}
		if strings.EqualFold(k, "Authorization") {
			bad("headers."+k, "must not be set here: the key comes from api_key_env, so it is never stored")
		}
		if strings.ContainsAny(e.Headers[k], "\r\n") {
			bad("headers."+k, "must not contain line breaks")
		}
	}
	if e.Timeout < 0 || e.Timeout > time.Hour {
		bad("timeout", "is %s; must be between 0 and 1h", e.Timeout)
	}
	return errs
}

var (
	envNamePattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	headerNamePattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

func (c Config) validateParserAndTemplate() []error {
	var errs []error
	bad := func(field, format string, args ...any) { errs = append(errs, domain.Invalid(field, format, args...)) }
	p := c.Parser
	if c.Kind == Reward {
		if p != (ParserConfig{}) {
			bad("parser", "a reward judge reads its score from the endpoint; leave parser out")
		}
		if c.Template != "" && c.Endpoint.Protocol == ProtocolJSON {
			bad("template", "a json-protocol reward judge sends endpoint.body_template; leave template out")
		} else if c.Template != "" {
			if err := checkTemplate(c.Template, Pointwise); err != nil {
				bad("template", "%v", err)
			}
		}
		return errs
	}
	switch p.Type {
	case ParserLogprobs:
		if p.First == "" {
			bad("parser.first", "is required: the token that says the first shown output is better")
		}
		if p.Second == "" && c.Kind == Pairwise {
			bad("parser.second", "is required: the token that says the second shown output is better")
		}
		if p.First != "" && p.First == p.Second {
			bad("parser.second", "must differ from parser.first")
		}
	case ParserVerdict:
		if c.Kind != Pairwise {
			bad("parser.type", "verdict reads [[A]]/[[B]] labels of a pairwise judge; a %s judge uses score or logprobs", c.Kind)
		}
		if !(p.StrongWeight >= 1) || math.IsInf(p.StrongWeight, 0) {
			bad("parser.strong_weight", "is %v; must be a finite number ≥ 1", p.StrongWeight)
		}
	case ParserScore:
		if c.Kind != Pointwise {
			bad("parser.type", "score reads one grade; a pairwise judge uses logprobs or verdict")
		}
		if !(p.Max > p.Min) || math.IsInf(p.Min, 0) || math.IsInf(p.Max, 0) {
			bad("parser.max", "the grade range [min, max] must have max > min")
		}
		if p.Pointer != "" {
			if err := checkPointer(p.Pointer); err != nil {
				bad("parser.pointer", "%v", err)
			}
		}
	case "":
		bad("parser.type", "is required: logprobs, verdict or score")
	default:
		bad("parser.type", "is %q; want logprobs, verdict or score", p.Type)
	}
	if p.Type != ParserLogprobs && (p.First != "" || p.Second != "") {
		bad("parser.first", "applies to the logprobs parser only")
	}
	if p.Type != ParserVerdict && p.StrongWeight != 0 {
		bad("parser.strong_weight", "applies to the verdict parser only")
	}
	if p.Type != ParserScore && (p.Min != 0 || p.Max != 0 || p.Pointer != "") {
		bad("parser.min", "min, max and pointer apply to the score parser only")
	}
	if c.Template == "" {
		bad("template", "is required for a %s judge with the %s parser (there is no default for it)", c.Kind, p.Type)
	} else if c.Kind == Pairwise || c.Kind == Pointwise {
		if err := checkTemplate(c.Template, c.Kind); err != nil {
			bad("template", "%v", err)
		}
	}
	return errs
}

func validateParams(params map[string]any, protocol, parser string) []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		field := "params"
		if name != "" {
			field += "." + name
		}
		errs = append(errs, domain.Invalid(field, format, args...))
	}
	if len(params) > 0 && protocol != ProtocolOpenAI {
		bad("", "params apply to protocol openai only")
		return errs
	}
	num := func(name string) (float64, bool) {
		v, ok := params[name]
		if !ok {
			return 0, false
		}
		f, isNum := v.(float64)
		if !isNum {
			bad(name, "must be a number")
			return 0, false
		}
		return f, true
	}
	integer := func(name string, lo, hi float64) (float64, bool) {
		f, ok := num(name)
		if ok && (f != math.Trunc(f) || f < lo || f > hi) {
			bad(name, "is %v; must be an integer in [%v, %v]", f, lo, hi)
			return 0, false
		}
		return f, ok
	}
	if t, ok := num("temperature"); ok && (t < 0 || t > 2) {
		bad("temperature", "is %v; must be in [0, 2]", t)
	}
	integer("seed", -(1 << 53), 1<<53)
	integer("max_tokens", 1, 1<<24)
	if n, ok := integer("top_logprobs", 0, 20); ok && parser == ParserLogprobs && n < 1 {
		bad("top_logprobs", "the logprobs parser reads top_logprobs: ask for at least 1 (AlpacaEval asks for 5)")
	}
	if rf, ok := params["response_format"]; ok {
		m, isObj := rf.(map[string]any)
		if !isObj {
			bad("response_format", "must be an object such as {\"type\": \"json_object\"}")
		} else if t, _ := m["type"].(string); t != "text" && t != "json_object" && t != "json_schema" {
			bad("response_format.type", "must be text, json_object or json_schema")
		}
	}
	if v, ok := params["logprobs"]; ok {
		if b, isBool := v.(bool); !isBool || (!b && parser == ParserLogprobs) {
			bad("logprobs", "must be true or left out (the judge sets it when top_logprobs is asked for)")
		}
	}
	for _, name := range []string{"model", "messages", "n", "stream"} {
		if _, ok := params[name]; ok {
			bad(name, "is set by the judge and cannot be overridden")
		}
	}
	for name := range params {
		if name == "" {
			bad("", "a param name is empty")
		}
	}
	return errs
}

// Canonical returns c as canonical JSON: every field present, defaults stated,
// object keys sorted. Two configurations are the same judge version exactly when
// their canonical bytes are equal. It holds the name of the API key's environment
// variable, never a key.
func (c Config) Canonical() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(toWire(c)); err != nil {
		return nil, fmt.Errorf("encode judge %q: %w", c.Name, err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// MarshalJSON writes c in its canonical form.
func (c Config) MarshalJSON() ([]byte, error) { return c.Canonical() }

// UnmarshalJSON reads a configuration as DecodeConfig does, so a stored canonical
// form decodes back to the same judge.
func (c *Config) UnmarshalJSON(data []byte) error {
	cfg, err := DecodeConfig(data)
	if err != nil {
		return err
	}
	*c = cfg
	return nil
}

// wireConfig is Config's JSON shape; its field order is the canonical order.
type wireConfig struct {
	Name     string         `json:"name"`
	Kind     Kind           `json:"kind"`
	Endpoint wireEndpoint   `json:"endpoint"`
	Template string         `json:"template"`
	Parser   wireParser     `json:"parser"`
	Order    string         `json:"order"`
	Params   map[string]any `json:"params"`
	Price    wirePrice      `json:"price"`
	Limits   wireLimits     `json:"limits"`
}

type wireEndpoint struct {
	BaseURL      string            `json:"base_url"`
	Model        string            `json:"model"`
	APIKeyEnv    string            `json:"api_key_env"`
	Protocol     string            `json:"protocol"`
	Headers      map[string]string `json:"headers"`
	Timeout      string            `json:"timeout"`
	BodyTemplate string            `json:"body_template,omitempty"`
	ScorePointer string            `json:"score_pointer,omitempty"`
}

type wireParser struct {
	Type         string   `json:"type,omitempty"`
	First        string   `json:"first,omitempty"`
	Second       string   `json:"second,omitempty"`
	StrongWeight *float64 `json:"strong_weight,omitempty"`
	Min          *float64 `json:"min,omitempty"`
	Max          *float64 `json:"max,omitempty"`
	Pointer      string   `json:"pointer,omitempty"`
}

type wirePrice struct {
	InputPerMillion  float64 `json:"input_per_million"`
	OutputPerMillion float64 `json:"output_per_million"`
}

type wireLimits struct {
	Concurrency       int `json:"concurrency"`
	RequestsPerMinute int `json:"requests_per_minute"`
	TokensPerMinute   int `json:"tokens_per_minute"`
	MaxAttempts       int `json:"max_attempts"`
}

func toWire(c Config) wireConfig {
	w := wireConfig{
		Name: c.Name, Kind: c.Kind, Template: c.Template, Order: c.Order, Params: c.Params,
		Endpoint: wireEndpoint{
			BaseURL: c.Endpoint.BaseURL, Model: c.Endpoint.Model, APIKeyEnv: c.Endpoint.APIKeyEnv,
			Protocol: c.Endpoint.Protocol, Headers: c.Endpoint.Headers, Timeout: c.Endpoint.Timeout.String(),
			BodyTemplate: c.Endpoint.BodyTemplate, ScorePointer: c.Endpoint.ScorePointer,
		},
		Parser: wireParser{Type: c.Parser.Type, First: c.Parser.First, Second: c.Parser.Second, Pointer: c.Parser.Pointer},
		Price:  wirePrice(c.Price),
		Limits: wireLimits(c.Limits),
	}
	if w.Params == nil {
		w.Params = map[string]any{}
	}
	if w.Endpoint.Headers == nil {
		w.Endpoint.Headers = map[string]string{}
	}
	switch c.Parser.Type {
	case ParserVerdict:
		w.Parser.StrongWeight = &c.Parser.StrongWeight
	case ParserScore:
		w.Parser.Min, w.Parser.Max = &c.Parser.Min, &c.Parser.Max
	}
	return w
}

// decoder collects field errors while walking a JSON document.
type decoder struct{ errs []error }

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, domain.Invalid(path, format, args...))
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// object decodes data as a JSON object whose members are handled by fields;
// any other member is an error.
func (d *decoder) object(data []byte, path string, fields map[string]func([]byte, string)) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		if path == "" {
			d.fail(path, "the configuration must be a JSON object: %v", jsonProblem(err))
		} else {
			d.fail(path, "must be a JSON object")
		}
		return
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f, ok := fields[k]
		if !ok {
			known := make([]string, 0, len(fields))
			for n := range fields {
				known = append(known, n)
			}
			sort.Strings(known)
			d.fail(join(path, k), "unknown field (known: %s)", strings.Join(known, ", "))
			continue
		}
		if string(m[k]) == "null" {
			continue
		}
		f(m[k], join(path, k))
	}
}

func jsonProblem(err error) string {
	if err == nil {
		return "got null"
	}
	return err.Error()
}

func (d *decoder) str(dst *string) func([]byte, string) {
	return func(b []byte, p string) {
		if err := json.Unmarshal(b, dst); err != nil {
			d.fail(p, "must be a string")
		}
	}
}

func (d *decoder) num(dst *float64) func([]byte, string) {
	return func(b []byte, p string) {
		if err := json.Unmarshal(b, dst); err != nil {
			d.fail(p, "must be a number")
		}
	}
}

func (d *decoder) integer(dst *int) func([]byte, string) {
	return func(b []byte, p string) {
		var f float64
		if err := json.Unmarshal(b, &f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
			d.fail(p, "must be an integer")
			return
		}
		*dst = int(f)
	}
}

func (d *decoder) endpoint(data []byte, path string, e *Endpoint) {
	d.object(data, path, map[string]func([]byte, string){
		"base_url":    d.str(&e.BaseURL),
		"model":       d.str(&e.Model),
		"api_key_env": d.str(&e.APIKeyEnv),
		"protocol":    d.str(&e.Protocol),
		"headers": func(b []byte, p string) {
			if err := json.Unmarshal(b, &e.Headers); err != nil {
				d.fail(p, "must be an object of header names to string values")
			}
		},
		"timeout": func(b []byte, p string) {
			var s string
			var secs float64
			switch {
			case json.Unmarshal(b, &s) == nil:
				t, err := time.ParseDuration(s)
				if err != nil {
					d.fail(p, "is %q; want a duration such as \"30s\" or a number of seconds", s)
					return
				}
				e.Timeout = t
			case json.Unmarshal(b, &secs) == nil:
				if secs < 0 || secs > 3600 {
					d.fail(p, "is %v seconds; must be between 0 and 3600", secs)
					return
				}
				e.Timeout = time.Duration(secs * float64(time.Second))
			default:
				d.fail(p, "must be a duration such as \"30s\" or a number of seconds")
			}
		},
		"body_template": func(b []byte, p string) {
			// Given as a JSON object (or as a string holding one).
			var s string
			if json.Unmarshal(b, &s) == nil {
				e.BodyTemplate = s
				return
			}
			var obj map[string]any
			if json.Unmarshal(b, &obj) != nil || obj == nil {
				d.fail(p, "must be a JSON object (or a string holding one)")
				return
			}
			e.BodyTemplate = string(b)
		},
		"score_pointer": d.str(&e.ScorePointer),
	})
}

// normalizeNumbers turns json.Number values into float64 so params compare and
// validate uniformly.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	}
	return v
}
