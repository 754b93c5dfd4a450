// Package builtin lists the scorer types that ship with rlhf-eval and builds the
// registry from them. The list is explicit: no scorer registers itself.
package builtin

import (
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
)

// Types returns every built-in scorer type.
func Types() []scoring.Type {
	return []scoring.Type{
		assertion.Length(),
	}
}

// Registry returns a registry of the built-in scorer types.
func Registry() (*scoring.Registry, error) {
	return scoring.NewRegistry(Types()...)
}
