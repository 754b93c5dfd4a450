package ports

import (
	"context"
	"regexp"
	"sync"
)

// ReadAfter asks that the reads of one request see the database at least as of a
// consistency token that a write returned (a read-your-writes rule for reads that
// may be served by a replica). The zero value asks for nothing; Primary asks that
// every read go to the primary.
type ReadAfter struct {
	// Token is a position in the primary's write-ahead log ("16/B374D848").
	Token string
	// Primary sends every read of the request to the primary.
	Primary bool

	once    sync.Once
	replica bool
}

var lsnPattern = regexp.MustCompile(`^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$`)

// ValidToken reports whether s has the shape of a consistency token.
func ValidToken(s string) bool { return lsnPattern.MatchString(s) }

// Decide runs check once per request and remembers its answer: whether the
// replica has caught up with r.Token. Every read of a request then goes to the
// same place.
func (r *ReadAfter) Decide(check func() bool) bool {
	r.once.Do(func() { r.replica = check() })
	return r.replica
}

type readAfterKey struct{}

// WithReadAfter returns ctx carrying the request's read rule.
func WithReadAfter(ctx context.Context, r *ReadAfter) context.Context {
	return context.WithValue(ctx, readAfterKey{}, r)
}

// ReadAfterFrom returns the read rule of ctx, or nil.
func ReadAfterFrom(ctx context.Context) *ReadAfter {
	r, _ := ctx.Value(readAfterKey{}).(*ReadAfter)
	return r
}
