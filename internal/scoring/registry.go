package scoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Registry maps type names to scorer types. It is built once from an explicit list and
// is read-only afterwards, so it is safe for concurrent use.
type Registry struct {
	types   map[string]Type
	schemas map[string]*jsonschema.Schema
	names   []string
	observe Observer
}

// Observer is told how long each scorer took on each item, and whether it failed
// (metrics hang off it).
type Observer func(scorer, typ string, d time.Duration, err error)

// WithObserver returns a copy of the registry whose sets report to obs.
func (r *Registry) WithObserver(obs Observer) *Registry {
	c := *r
	c.observe = obs
	return &c
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// NewRegistry builds a registry from types, rejecting duplicates, bad names and
// params schemas that do not compile.
func NewRegistry(types ...Type) (*Registry, error) {
	r := &Registry{types: make(map[string]Type, len(types)), schemas: make(map[string]*jsonschema.Schema, len(types))}
	for _, t := range types {
		if !namePattern.MatchString(t.Name) {
			return nil, fmt.Errorf("scorer type name %q: must match %s", t.Name, namePattern)
		}
		if _, dup := r.types[t.Name]; dup {
			return nil, fmt.Errorf("scorer type %q registered twice", t.Name)
		}
		if t.New == nil {
			return nil, fmt.Errorf("scorer type %q has no constructor", t.Name)
		}
		switch t.Better {
		case HigherIsBetter, LowerIsBetter, NoDirection:
		default:
			return nil, fmt.Errorf("scorer type %q: direction %q is not higher, lower or none", t.Name, t.Better)
		}
		schema, err := compileSchema(t.Name, t.ParamsSchema)
		if err != nil {
			return nil, err
		}
		r.types[t.Name] = t
		r.schemas[t.Name] = schema
		r.names = append(r.names, t.Name)
	}
	sort.Strings(r.names)
	return r, nil
}

func compileSchema(name string, raw json.RawMessage) (*jsonschema.Schema, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage(`{"type":"object","additionalProperties":false}`)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("scorer type %q: params schema: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	url := "urn:rlhf-eval:scorer:" + name
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("scorer type %q: params schema: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("scorer type %q: params schema: %w", name, err)
	}
	return s, nil
}

// Types returns every registered type, sorted by name.
func (r *Registry) Types() []Type {
	out := make([]Type, len(r.names))
	for i, n := range r.names {
		out[i] = r.types[n]
	}
	return out
}

// Lookup returns the type called name.
func (r *Registry) Lookup(name string) (Type, bool) {
	t, ok := r.types[name]
	return t, ok
}

// Build validates configs and returns the Set that applies them. Every problem is
// reported as a *domain.ValidationError whose field is relative to the list
// ("[1].params.word_order"); callers prefix it with where the list came from.
func (r *Registry) Build(configs []domain.ScorerConfig) (*Set, error) {
	var errs []error
	set := &Set{observe: r.observe}
	seen := map[string]bool{}
	for i, cfg := range configs {
		at := fmt.Sprintf("[%d]", i)
		bound, err := r.build(cfg)
		if err != nil {
			errs = append(errs, domain.PrefixField(at, err))
			continue
		}
		if seen[bound.Config.Name] {
			errs = append(errs, domain.Invalid(at+".name", "duplicate scorer name %q; give each configuration its own name", bound.Config.Name))
			continue
		}
		seen[bound.Config.Name] = true
		set.scorers = append(set.scorers, bound)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return set, nil
}

// Normalize validates configs and returns them in canonical form (name filled in,
// params compacted, "{}" for none), ready to be stored.
func (r *Registry) Normalize(configs []domain.ScorerConfig) ([]domain.ScorerConfig, error) {
	set, err := r.Build(configs)
	if err != nil {
		return nil, err
	}
	return set.Configs(), nil
}

func (r *Registry) build(cfg domain.ScorerConfig) (Bound, error) {
	if cfg.Type == "" {
		return Bound{}, domain.Invalid("type", "is required; one of %s", strings.Join(r.names, ", "))
	}
	t, ok := r.types[cfg.Type]
	if !ok {
		return Bound{}, domain.Invalid("type", "unknown scorer type %q; one of %s", cfg.Type, strings.Join(r.names, ", "))
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Type
	}
	if !namePattern.MatchString(cfg.Name) {
		return Bound{}, domain.Invalid("name", "%q must be 1-64 characters of a-z, 0-9, '_', '.', '-', starting with a letter", cfg.Name)
	}
	if cfg.Pass != nil {
		if err := checkPass(*cfg.Pass); err != nil {
			return Bound{}, err
		}
	}
	params := bytes.TrimSpace(cfg.Params)
	if len(params) == 0 || bytes.Equal(params, []byte("null")) {
		params = []byte("{}")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, params); err != nil {
		return Bound{}, domain.Invalid("params", "not valid JSON: %v", err)
	}
	cfg.Params = compact.Bytes()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(cfg.Params))
	if err != nil {
		return Bound{}, domain.Invalid("params", "not valid JSON: %v", err)
	}
	if err := r.schemas[t.Name].Validate(doc); err != nil {
		return Bound{}, schemaErrors(err)
	}
	s, err := t.New(cfg.Params)
	if err != nil {
		if len(domain.Fields(err)) > 0 {
			return Bound{}, domain.PrefixField("params", err)
		}
		return Bound{}, domain.Invalid("params", "%v", err)
	}
	if _, ok := s.(Later); t.RunsLater && !ok {
		return Bound{}, fmt.Errorf("scorer type %q runs later but its scorer does not name its judge", t.Name)
	}
	return Bound{Config: cfg, Type: t, Scorer: s}, nil
}

func checkPass(p domain.PassBand) error {
	var errs []error
	if p.Min != nil && (math.IsNaN(*p.Min) || math.IsInf(*p.Min, 0)) {
		errs = append(errs, domain.Invalid("pass.min", "must be a finite number"))
	}
	if p.Max != nil && (math.IsNaN(*p.Max) || math.IsInf(*p.Max, 0)) {
		errs = append(errs, domain.Invalid("pass.max", "must be a finite number"))
	}
	if p.Min == nil && p.Max == nil {
		errs = append(errs, domain.Invalid("pass", "needs min, max or both"))
	}
	if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
		errs = append(errs, domain.Invalid("pass", "min %v is greater than max %v", *p.Min, *p.Max))
	}
	return errors.Join(errs...)
}

// schemaErrors flattens a schema validation failure into one ValidationError per
// failing leaf, with the field path under "params".
func schemaErrors(err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return domain.Invalid("params", "%v", err)
	}
	printer := message.NewPrinter(language.English)
	var out []error
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			field := "params"
			for _, tok := range e.InstanceLocation {
				field += "." + tok
			}
			out = append(out, domain.Invalid(field, "%s", e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return errors.Join(out...)
}
