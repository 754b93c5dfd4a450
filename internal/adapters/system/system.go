// Package system adapts the machine's clock and a UUIDv7 source to the core's ports.
package system

import (
	"time"

	"github.com/google/uuid"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// Clock is the wall clock.
type Clock struct{}

var _ ports.Clock = Clock{}

// Now returns the current time.
func (Clock) Now() time.Time { return time.Now() }

// IDs issues UUIDv7 ids: time-ordered, so new rows land at the right edge of their
// indexes and keyset pages follow creation order.
type IDs struct{}

var _ ports.IDGenerator = IDs{}

// NewID returns a fresh UUIDv7. uuid.NewV7 fails only if the system's random source
// does; then there is nothing sensible to do but stop.
func (IDs) NewID() domain.ID {
	id, err := uuid.NewV7()
	if err != nil {
		panic("uuid: " + err.Error())
	}
	return domain.ID(id)
}
