// Package assertion holds the promptfoo-style assertion scorers (contains, regex,
// equals, starts_with, json) and the length scorer: cheap checks whose params decide
// what passes.
package assertion
