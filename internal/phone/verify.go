package phone

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/store"
)

// Verify checks code for (purpose, bindingID) and, if it is right,
// consumes the challenge: it returns nil once and ErrUsed afterwards.
//
// Errors: ErrMalformedCode (not counted as an attempt), ErrNoChallenge,
// ErrUsed, ErrTooManyAttempts (locked), ErrExpired, and *WrongCodeError
// (matching ErrWrongCode) for a wrong code, which counts one attempt; the
// attempt that reaches the maximum locks the challenge and also matches
// ErrTooManyAttempts. The code is compared by keyed hash in constant time.
// Of concurrent Verify calls with the right code, exactly one succeeds.
func (v *Verifier) Verify(ctx context.Context, purpose, bindingID, code string) error {
	return v.verify(ctx, purpose, bindingID, nil, code)
}

// VerifyNumber is Verify that also requires the latest code to have been
// sent to number, returning ErrNumberMismatch (not counted as an attempt)
// otherwise. Use it when the caller records the verified number: if two
// Sends to different numbers raced, only the number the valid code went to
// can be confirmed.
func (v *Verifier) VerifyNumber(ctx context.Context, purpose, bindingID string, number Number, code string) error {
	if number.IsZero() {
		return fmt.Errorf("%w: no phone number", ErrInvalidRequest)
	}
	return v.verify(ctx, purpose, bindingID, &number, code)
}

func (v *Verifier) verify(ctx context.Context, purpose, bindingID string, number *Number, code string) error {
	if err := checkIDs(purpose, bindingID); err != nil {
		return err
	}
	norm, ok := normaliseCode(code)
	if !ok {
		return fmt.Errorf("%w: want %d digits", ErrMalformedCode, v.cfg.codeLen)
	}
	var idx []byte
	if number != nil {
		idx = v.keys.numberIndex(*number)
	}
	hash := v.keys.codeHash(bindingID, purpose, norm)

	var result error
	err := v.inTx(ctx, func(ctx context.Context) error {
		result = nil // the function may run more than once
		now := v.now()
		c, err := v.store.PhoneChallenge(ctx, bindingID, purpose)
		if errors.Is(err, store.ErrNotFound) {
			result = ErrNoChallenge
			return nil
		}
		if err != nil {
			return fmt.Errorf("phone: read challenge: %w", err)
		}
		switch {
		case c.State == StateUsed:
			result = ErrUsed
			return nil
		case c.State == StateLocked:
			result = ErrTooManyAttempts
			return nil
		case c.State != StateActive:
			return fmt.Errorf("phone: challenge in unknown state %q", c.State)
		case !now.Before(c.ExpiresAt):
			result = ErrExpired
			return nil
		case idx != nil && !hmac.Equal(idx, c.NumberIndex):
			result = ErrNumberMismatch
			return nil
		}
		next := c
		next.Version++
		if hmac.Equal(hash, c.CodeHash) {
			next.State = StateUsed
		} else {
			next.Attempts++
			left := max(v.cfg.maxAttempts-next.Attempts, 0)
			if left == 0 {
				// A locked challenge waits a full resend interval, so
				// that a guesser cannot go on at the rate of one new code
				// per lock.
				next.State = StateLocked
				next.ResendAt = latest(next.ResendAt, now.Add(v.cfg.resend))
				next.KeepUntil = latest(next.KeepUntil, next.ResendAt)
			}
			result = &WrongCodeError{AttemptsLeft: left}
		}
		return writeErr(v.store.UpdatePhoneChallenge(ctx, c.Version, next))
	})
	if err != nil {
		return err
	}
	return result
}
