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

// logAppendKey marks a context whose transaction appends to the
// transparency log.
type logAppendKey struct{}

// WithLogAppend marks ctx: a transaction begun with it appends to the
// transparency log. Every append updates the log's one tree-state row, so
// such transactions conflict with each other by construction; an engine
// that would abort and retry them (PostgreSQL under SERIALIZABLE) instead
// makes them wait for each other from their first statement. A
// transaction that joins an outer one inherits the outer one's choice.
func WithLogAppend(ctx context.Context) context.Context {
	return context.WithValue(ctx, logAppendKey{}, true)
}

// LogAppendFrom reports whether ctx was marked by WithLogAppend.
func LogAppendFrom(ctx context.Context) bool {
	v, _ := ctx.Value(logAppendKey{}).(bool)
	return v
}
