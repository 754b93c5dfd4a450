package domain

// Page is one page of a keyset-paginated list. Next is the opaque cursor of the next
// page, empty on the last.
type Page[T any] struct {
	Items []T
	Next  string
}

// Default and maximum page sizes of list endpoints.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)
