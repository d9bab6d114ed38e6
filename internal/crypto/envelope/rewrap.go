package envelope

import (
	"context"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/store"
)

// DefaultRewrapBatch is the page size Rewrap uses when given none.
const DefaultRewrapBatch = 100

// Rewrap moves every data key wrapped by KEK oldKEKID under the active KEK,
// batch keys at a time (DefaultRewrapBatch if batch <= 0), calling progress
// (if not nil) with the running count after each batch. It returns how many
// keys it re-wrapped.
//
// It is the step between rotating the key-encryption purpose and retiring
// the old KEK. It is resumable: a re-wrapped key no longer matches oldKEKID,
// so running Rewrap again after an interruption (an error, or ctx ending,
// which it checks before each batch) continues with the keys left. When the
// store is also a store.TxRunner (the SQL store), each batch is one
// transaction: one commit per batch rather than per key, and an interrupted
// batch leaves nothing half done; the count returned then covers committed
// batches only. A key that another node re-wrapped or shredded meanwhile
// (the store reports store.ErrConflict or store.ErrNotFound) is skipped. A
// key that does not unwrap stops the run with an error naming its owner.
// If oldKEKID is still the active KEK, Rewrap fails with ErrKEKActive
// before writing anything.
func (e *Envelope) Rewrap(ctx context.Context, oldKEKID string, batch int, progress func(done int)) (int, error) {
	if batch <= 0 {
		batch = DefaultRewrapBatch
	}
	tx, transactional := e.store.(store.TxRunner)
	done := 0
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		var (
			moved, size int
			last        string
		)
		run := func(ctx context.Context) error {
			// Idempotent, as InTx wants: a retried batch starts over.
			moved, size, last = 0, 0, after
			page, err := e.store.DataKeysWrappedBy(ctx, oldKEKID, after, batch)
			if err != nil {
				return fmt.Errorf("envelope: list data keys wrapped by %s: %w", oldKEKID, err)
			}
			size = len(page)
			for _, dk := range page {
				ok, err := e.rewrapOne(ctx, oldKEKID, dk)
				if err != nil {
					return err
				}
				last = dk.Owner
				if ok {
					moved++
				}
			}
			return nil
		}
		var err error
		if transactional {
			err = tx.InTx(ctx, run)
		} else {
			err = run(ctx)
		}
		if err != nil {
			if !transactional {
				done += moved // written one by one: those stay written
			}
			return done, err
		}
		done += moved
		after = last
		if progress != nil && size > 0 {
			progress(done)
		}
		if size < batch {
			return done, nil
		}
	}
}

// rewrapOne re-wraps one data key; it reports false for a key skipped
// because it changed meanwhile.
func (e *Envelope) rewrapOne(ctx context.Context, oldKEKID string, dk DataKey) (bool, error) {
	aad := dataKeyAAD(dk.Owner)
	key, err := e.keys.Unwrap(ctx, dk.KEKID, aad, dk.Wrapped)
	if err != nil {
		return false, fmt.Errorf("envelope: rewrap: unwrap data key of %s: %w", dk.Owner, err)
	}
	newKEKID, wrapped, err := e.keys.Wrap(ctx, aad, key)
	clear(key)
	if err != nil {
		return false, fmt.Errorf("envelope: rewrap: wrap data key of %s: %w", dk.Owner, err)
	}
	if newKEKID == oldKEKID {
		return false, fmt.Errorf("%w: %s (rotate key-encryption first)", ErrKEKActive, oldKEKID)
	}
	err = e.store.RewrapDataKey(ctx, dk.Owner, oldKEKID, DataKey{Owner: dk.Owner, KEKID: newKEKID, Wrapped: wrapped, Created: dk.Created})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("envelope: rewrap data key of %s: %w", dk.Owner, err)
	}
}

// KEKInUse reports whether any data key is still wrapped by kekID. Retire a
// KEK only when it reports false: retiring destroys the KEK, and with it
// every data key it still wraps.
func (e *Envelope) KEKInUse(ctx context.Context, kekID string) (bool, error) {
	page, err := e.store.DataKeysWrappedBy(ctx, kekID, "", 1)
	if err != nil {
		return false, fmt.Errorf("envelope: list data keys wrapped by %s: %w", kekID, err)
	}
	return len(page) > 0, nil
}
