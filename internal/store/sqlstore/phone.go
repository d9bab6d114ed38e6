package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store"
)

var _ phone.Store = (*Store)(nil)

// phoneColumns lists the columns of phone_challenges in the order that
// scanPhoneChallenge reads and phoneArgs writes them.
const phoneColumns = `binding_id, purpose, number_index, code_hash, state, attempts,
	sent_at, expires_at, resend_at, window_start, sends, keep_until, version`

// checkPhoneKey refuses a challenge without its primary key: nothing the
// Verifier writes lacks one, so an empty one is a caller's bug, not data.
func checkPhoneKey(c phone.Challenge) error {
	var errs []error
	if c.BindingID == "" {
		errs = append(errs, fmt.Errorf("%w: empty binding id", errInvalid))
	}
	if c.Purpose == "" {
		errs = append(errs, fmt.Errorf("%w: empty purpose", errInvalid))
	}
	return errors.Join(errs...)
}

// nonNil returns b, or an empty slice for nil: the byte columns are NOT
// NULL, and the contract treats nil and empty alike, so both are stored as
// an empty value rather than one of them failing.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// phoneArgs returns the values of phoneColumns for c.
func phoneArgs(c phone.Challenge) []any {
	return []any{
		c.BindingID, c.Purpose, nonNil(c.NumberIndex), nonNil(c.CodeHash), string(c.State), int64(c.Attempts),
		micros(c.SentAt), micros(c.ExpiresAt), micros(c.ResendAt), micros(c.WindowStart), int64(c.Sends),
		micros(c.KeepUntil), c.Version,
	}
}

// scanPhoneChallenge reads one row of phoneColumns.
func scanPhoneChallenge(row interface{ Scan(...any) error }) (phone.Challenge, error) {
	var c phone.Challenge
	var state string
	var attempts, sends, sent, expires, resend, window, keep int64
	err := row.Scan(&c.BindingID, &c.Purpose, &c.NumberIndex, &c.CodeHash, &state, &attempts,
		&sent, &expires, &resend, &window, &sends, &keep, &c.Version)
	if err != nil {
		return phone.Challenge{}, err
	}
	c.State = phone.State(state)
	c.Attempts, c.Sends = int(attempts), int(sends)
	c.SentAt, c.ExpiresAt, c.ResendAt = fromMicros(sent), fromMicros(expires), fromMicros(resend)
	c.WindowStart, c.KeepUntil = fromMicros(window), fromMicros(keep)
	return c, nil
}

// PhoneChallenge implements phone.Store.
func (s *Store) PhoneChallenge(ctx context.Context, bindingID, purpose string) (phone.Challenge, error) {
	return getOne(ctx, s, "get phone challenge", scanPhoneChallenge, `SELECT `+phoneColumns+` FROM phone_challenges
			WHERE binding_id = $1 AND purpose = $2`, bindingID, purpose)
}

// CreatePhoneChallenge implements phone.Store. c.Version must be 1, as the
// contract says: versions count writes from the creation on.
func (s *Store) CreatePhoneChallenge(ctx context.Context, c phone.Challenge) error {
	err := checkPhoneKey(c)
	if c.Version != 1 {
		err = errors.Join(err, fmt.Errorf("%w: version %d, want 1", errInvalid, c.Version))
	}
	if err != nil {
		return fmt.Errorf("sqlstore: create phone challenge: %w", err)
	}
	return s.do(ctx, "create phone challenge", func(q querier) error {
		// DO NOTHING rather than catching the unique violation, which on
		// PostgreSQL would abort the caller's transaction: the Verifier
		// reads the conflict as a lost race and retries the transaction.
		return execOnce(ctx, q, `INSERT INTO phone_challenges (`+phoneColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (binding_id, purpose) DO NOTHING`, phoneArgs(c)...)
	})
}

// UpdatePhoneChallenge implements phone.Store. c.Version must be greater
// than prevVersion (the Verifier adds one): a write that kept the version
// would let a second writer holding the same prevVersion overwrite it
// unnoticed, which is exactly what the compare-and-set exists to prevent.
func (s *Store) UpdatePhoneChallenge(ctx context.Context, prevVersion int64, c phone.Challenge) error {
	err := checkPhoneKey(c)
	if c.Version <= prevVersion {
		err = errors.Join(err, fmt.Errorf("%w: new version %d, want more than %d", errInvalid, c.Version, prevVersion))
	}
	if err != nil {
		return fmt.Errorf("sqlstore: update phone challenge: %w", err)
	}
	args := append(phoneArgs(c), prevVersion)
	return s.do(ctx, "update phone challenge", func(q querier) error {
		// The compare-and-set is this one statement: whatever the
		// isolation level, of two updates from the same version the second
		// finds the row changed (PostgreSQL re-checks the WHERE clause
		// after waiting for the first's row lock, or fails with 40001 in a
		// SERIALIZABLE transaction; SQLite has one writer) and changes
		// nothing.
		res, err := q.ExecContext(ctx, `UPDATE phone_challenges SET
				number_index = $3, code_hash = $4, state = $5, attempts = $6, sent_at = $7,
				expires_at = $8, resend_at = $9, window_start = $10, sends = $11, keep_until = $12,
				version = $13
			WHERE binding_id = $1 AND purpose = $2 AND version = $14`, args...)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		// Nothing matched: a second read says why. As in RewrapDataKey,
		// the update wrote nothing, so the state this read sees is one the
		// row really was in afterwards, and the answer is right for it.
		var one int
		err = q.QueryRowContext(ctx, `SELECT 1 FROM phone_challenges WHERE binding_id = $1 AND purpose = $2`,
			c.BindingID, c.Purpose).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		}
		return store.ErrConflict
	})
}

// DeletePhoneChallenges implements phone.Store.
func (s *Store) DeletePhoneChallenges(ctx context.Context, bindingID string) (int64, error) {
	var n int64
	err := s.do(ctx, "delete phone challenges", func(q querier) error {
		// binding_id leads the primary key, whose index serves this.
		res, err := q.ExecContext(ctx, `DELETE FROM phone_challenges WHERE binding_id = $1`, bindingID)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, err
}

// PrunePhoneChallenges implements phone.Store.
func (s *Store) PrunePhoneChallenges(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.do(ctx, "prune phone challenges", func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM phone_challenges WHERE keep_until < $1`, micros(before))
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, err
}
