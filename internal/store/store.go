package store

import (
	"context"
	"errors"
)

var (
	// ErrNotFound is returned when the requested record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a write would violate a uniqueness or
	// state constraint (the record exists already, or changed meanwhile).
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable is returned when the engine cannot be reached. HTTP
	// handlers map it to 503 so that clients retry later.
	ErrUnavailable = errors.New("store: unavailable")
)

// TxRunner runs fn in one transaction. The transaction travels in the
// context handed to fn: every store method called with that context joins
// it. fn MUST be idempotent, because the runner retries it when the engine
// reports a serialization failure (SQLSTATE 40001) or a busy database.
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}
