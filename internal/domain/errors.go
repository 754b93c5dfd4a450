package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors that adapters translate into protocol-level answers.
var (
	// ErrNotFound reports that the addressed entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports that a write clashes with existing state (a unique name taken, ...).
	ErrConflict = errors.New("conflict")
	// ErrUnauthenticated reports a missing, malformed, unknown, expired or revoked credential.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden reports a valid credential that lacks the scope an action needs.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable reports that a dependency (the database) cannot be reached right now.
	ErrUnavailable = errors.New("unavailable")
	// ErrOutcomeUnknown reports a write whose COMMIT was sent but whose reply was
	// lost with the connection: it may or may not be stored. It comes wrapped
	// together with ErrUnavailable.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrTooSlow reports a client that sent its request body too slowly for the
	// work the server had begun with it (a transaction held open).
	ErrTooSlow = errors.New("request body too slow")
)

// ValidationError names one bad input field and says what is wrong with it.
// Several are combined with errors.Join; Fields collects them back.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Invalid returns a *ValidationError for field.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// PrefixField returns err with every ValidationError's field placed under prefix
// ("scorers[2]" + "params.x" = "scorers[2].params.x"). Other errors pass unchanged.
func PrefixField(prefix string, err error) error {
	if err == nil || prefix == "" {
		return err
	}
	fields := Fields(err)
	if len(fields) == 0 {
		return err
	}
	out := make([]error, len(fields))
	for i, f := range fields {
		name := prefix
		switch {
		case f.Field == "":
		case f.Field[0] == '[':
			name += f.Field
		default:
			name += "." + f.Field
		}
		out[i] = &ValidationError{Field: name, Msg: f.Msg}
	}
	return errors.Join(out...)
}

// Fields returns every *ValidationError in err's tree, in order.
func Fields(err error) []*ValidationError {
	var out []*ValidationError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if v, ok := e.(*ValidationError); ok {
			out = append(out, v)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}
