package phone

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/store"
)

// SendOption adjusts one Send.
type SendOption func(*sendOptions)

type sendOptions struct{ locale Locale }

// WithLocale sets the language of the SMS (default: the Verifier's).
func WithLocale(l Locale) SendOption { return func(o *sendOptions) { o.locale = l } }

// Send generates a new code for (purpose, bindingID), stores its keyed hash
// and sends it to number. Any earlier code of the same challenge stops
// being valid, and the attempt counter restarts.
//
// It refuses with a *ThrottleError matching ErrResendTooSoon when the
// previous code was sent less than the resend interval ago (or the
// challenge was locked less than that ago), and ErrTooManySends when the
// challenge or the number has had its maximum of codes in the current
// window. Refusals write nothing.
//
// The challenge is written in one transaction, then the message is handed
// to the Sender, outside the transaction: a retried transaction must not
// send twice. If the Sender fails, the error matches ErrSendFailed and the
// resend interval is waived so that the resident may retry at once. Send
// must therefore not be called inside the caller's own transaction: the
// SMS would leave before that transaction commits.
//
// purpose names the use ("enrol", "change-phone"): 1 to 64 characters of
// a-z, 0-9, '.', '_', '-'. bindingID is the enrolment (or account) the code
// is bound to: 1 to 128 printable ASCII characters.
func (v *Verifier) Send(ctx context.Context, purpose, bindingID string, number Number, opts ...SendOption) (ChallengeInfo, error) {
	so := sendOptions{locale: v.cfg.locale}
	for _, o := range opts {
		o(&so)
	}
	if err := checkIDs(purpose, bindingID); err != nil {
		return ChallengeInfo{}, err
	}
	if number.IsZero() {
		return ChallengeInfo{}, fmt.Errorf("%w: no phone number", ErrInvalidRequest)
	}
	// Everything random is drawn before the transaction, so that a retried
	// transaction function stores the code that is then sent.
	code, err := newCode(v.cfg.rand, v.cfg.codeLen)
	if err != nil {
		return ChallengeInfo{}, err
	}
	msgID, err := newMessageID(v.cfg.rand)
	if err != nil {
		return ChallengeInfo{}, err
	}
	text, err := MessageText(so.locale, v.cfg.service, code, v.cfg.ttl)
	if err != nil {
		return ChallengeInfo{}, err
	}
	idx := v.keys.numberIndex(number)
	hash := v.keys.codeHash(bindingID, purpose, code)

	var written Challenge
	err = v.inTx(ctx, func(ctx context.Context) error {
		now := v.now()
		old, err := v.store.PhoneChallenge(ctx, bindingID, purpose)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("phone: read challenge: %w", err)
		}
		c, err := v.nextChallenge(old, exists, now)
		if err != nil {
			return err
		}
		// The number is counted only once the challenge allows the send,
		// and the count is rolled back with the transaction if anything
		// below fails.
		ok, wait, err := v.numberLimit.Allow(ctx, hex.EncodeToString(idx))
		if err != nil {
			return fmt.Errorf("phone: per-number limit: %w", err)
		}
		if !ok {
			return &ThrottleError{Err: ErrTooManySends, RetryAfter: wait}
		}
		c.BindingID, c.Purpose = bindingID, purpose
		c.NumberIndex, c.CodeHash = idx, hash
		if exists {
			err = v.store.UpdatePhoneChallenge(ctx, old.Version, c)
		} else {
			err = v.store.CreatePhoneChallenge(ctx, c)
		}
		if err != nil {
			return writeErr(err)
		}
		written = c
		return nil
	})
	if err != nil {
		return ChallengeInfo{}, err
	}
	info := ChallengeInfo{
		To:           number.Redacted(),
		CodeLength:   v.cfg.codeLen,
		ExpiresAt:    written.ExpiresAt,
		ResendAt:     written.ResendAt,
		AttemptsLeft: v.cfg.maxAttempts,
		SendsLeft:    v.cfg.sendMax - written.Sends,
	}
	msg := Message{ID: msgID, To: number, Text: text, Purpose: purpose, BindingID: bindingID, Code: code}
	if err := v.sender.Send(ctx, msg); err != nil {
		sendErr := fmt.Errorf("%w: %w", ErrSendFailed, err)
		if werr := v.waiveResend(ctx, written); werr != nil {
			return ChallengeInfo{}, errors.Join(sendErr, werr)
		}
		return ChallengeInfo{}, sendErr
	}
	return info, nil
}

// nextChallenge applies the send rules to the stored challenge old (if
// exists) and returns the new state, without the binding, number and code.
func (v *Verifier) nextChallenge(old Challenge, exists bool, now time.Time) (Challenge, error) {
	c := Challenge{Version: 1, WindowStart: now}
	if exists {
		if now.Before(old.ResendAt) {
			return Challenge{}, &ThrottleError{Err: ErrResendTooSoon, RetryAfter: old.ResendAt.Sub(now)}
		}
		c.Version = old.Version + 1
		c.WindowStart, c.Sends = old.WindowStart, old.Sends
		if end := old.WindowStart.Add(v.cfg.sendWindow); !now.Before(end) {
			c.WindowStart, c.Sends = now, 0
		}
		if c.Sends >= v.cfg.sendMax {
			return Challenge{}, &ThrottleError{Err: ErrTooManySends, RetryAfter: c.WindowStart.Add(v.cfg.sendWindow).Sub(now)}
		}
	}
	c.Sends++
	c.State = StateActive
	c.Attempts = 0
	c.SentAt = now
	c.ExpiresAt = now.Add(v.cfg.ttl)
	c.ResendAt = now.Add(v.cfg.resend)
	c.KeepUntil = latest(c.ExpiresAt, c.ResendAt, c.WindowStart.Add(v.cfg.sendWindow))
	return c, nil
}

// waiveResend lets the next Send go at once after the Sender failed, unless
// the challenge changed meanwhile. It runs even if ctx was cancelled (a
// client that went away is a common reason for the failure).
func (v *Verifier) waiveResend(ctx context.Context, sent Challenge) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := v.inTx(ctx, func(ctx context.Context) error {
		cur, err := v.store.PhoneChallenge(ctx, sent.BindingID, sent.Purpose)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("phone: read challenge: %w", err)
		}
		if cur.Version != sent.Version {
			return nil
		}
		next := cur
		next.Version++
		next.ResendAt = v.now()
		return writeErr(v.store.UpdatePhoneChallenge(ctx, cur.Version, next))
	})
	if err != nil {
		return fmt.Errorf("phone: waive resend interval after failed send: %w", err)
	}
	return nil
}
