package stats

import "errors"

// Errors returned by this package, wrapped with details; test them with errors.Is.
var (
	// ErrInvalid reports an argument outside its domain: a NaN or infinite value, a
	// confidence level outside (0, 1), a negative count.
	ErrInvalid = errors.New("invalid argument")
	// ErrNoData reports that a computation needs at least one value and got none.
	ErrNoData = errors.New("no data")
)
