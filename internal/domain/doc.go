// Package domain holds rlhf-eval's entities, value types and domain errors.
//
// It imports the standard library only: no SQL, HTTP, JSON tags or driver types.
// Pure computations (statistics, ratings, agreement) live in its sub-packages.
package domain
