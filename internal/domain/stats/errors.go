package stats

import "errors"

// Errors returned by this package, wrapped with details; test them with errors.Is.
var (
	// ErrInvalid reports an argument outside its domain: a NaN or infinite value, a
	// confidence level outside (0, 1), a negative count.
	ErrInvalid = errors.New("invalid argument")
	// ErrNoData reports that a computation needs at least one value and got none.
	ErrNoData = errors.New("no data")
	// ErrCanceled reports a computation stopped by its caller before it finished.
	ErrCanceled = errors.New("canceled")
)

// canceled reports whether c is closed; a nil channel never is.
func canceled(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
