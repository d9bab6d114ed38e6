package phone

import (
	"errors"
	"fmt"
	"time"
)

// Errors of number parsing. Their messages never contain the number itself,
// because error messages end up in logs.
var (
	// ErrInvalidNumber is returned (wrapped, with the reason) by ParseNumber
	// for any text that is not an acceptable phone number.
	ErrInvalidNumber = errors.New("phone: invalid phone number")
)

// Errors of the one-time code flow. Send and Verify return errors that
// match these with errors.Is; the HTTP layer maps them to problem types.
var (
	// ErrInvalidRequest is returned for a malformed purpose, binding id or
	// locale: a programming error of the caller, not a resident's mistake.
	ErrInvalidRequest = errors.New("phone: invalid request")
	// ErrMalformedCode is returned by Verify for a code that is not a
	// string of digits of a plausible length. It does not count as an
	// attempt: it cannot be a guess at the code.
	ErrMalformedCode = errors.New("phone: malformed code")
	// ErrNoChallenge is returned by Verify when no code was sent for the
	// binding and purpose (or it was pruned, or forgotten).
	ErrNoChallenge = errors.New("phone: no code was sent")
	// ErrUsed is returned by Verify when the code was already used
	// successfully: codes are single use.
	ErrUsed = errors.New("phone: code already used")
	// ErrExpired is returned by Verify when the code's lifetime has ended.
	ErrExpired = errors.New("phone: code expired")
	// ErrWrongCode is matched by a *WrongCodeError.
	ErrWrongCode = errors.New("phone: wrong code")
	// ErrTooManyAttempts is returned by Verify once the challenge is locked
	// after too many wrong codes; a new Send is needed. The wrong attempt
	// that locks it returns a *WrongCodeError that matches both this and
	// ErrWrongCode.
	ErrTooManyAttempts = errors.New("phone: too many wrong codes; request a new code")
	// ErrNumberMismatch is returned by VerifyNumber when the latest code was
	// sent to another number than the one given.
	ErrNumberMismatch = errors.New("phone: the code was sent to another number")
	// ErrResendTooSoon is matched by a *ThrottleError returned by Send when
	// the previous code was sent less than the resend interval ago.
	ErrResendTooSoon = errors.New("phone: a code was sent recently; wait before asking again")
	// ErrTooManySends is matched by a *ThrottleError returned by Send when
	// the challenge or the number has had its maximum of codes in the
	// current window.
	ErrTooManySends = errors.New("phone: too many codes sent; wait before asking again")
	// ErrSendFailed is returned (joined with the Sender's error) when the
	// challenge was stored but the message could not be handed to the
	// gateway. The resend interval is waived, so the resident may ask again
	// at once; the send still counts towards the send limits.
	ErrSendFailed = errors.New("phone: the code could not be sent")
)

// WrongCodeError reports a wrong code and how many attempts are left.
type WrongCodeError struct {
	// AttemptsLeft is how many more wrong codes the challenge accepts
	// before it locks. Zero means it is now locked.
	AttemptsLeft int
}

func (e *WrongCodeError) Error() string {
	if e.AttemptsLeft == 0 {
		return "phone: wrong code; no attempts left, request a new code"
	}
	return fmt.Sprintf("phone: wrong code; %d attempts left", e.AttemptsLeft)
}

// Is makes a WrongCodeError match ErrWrongCode, and also
// ErrTooManyAttempts when no attempts are left.
func (e *WrongCodeError) Is(target error) bool {
	return target == ErrWrongCode || (e.AttemptsLeft == 0 && target == ErrTooManyAttempts)
}

// ThrottleError is returned by Send when a send limit refuses the request.
// It matches ErrResendTooSoon or ErrTooManySends (its Err).
type ThrottleError struct {
	// Err is ErrResendTooSoon or ErrTooManySends.
	Err error
	// RetryAfter is how long until a Send may succeed: always positive. The
	// HTTP layer sends it as a Retry-After header.
	RetryAfter time.Duration
}

func (e *ThrottleError) Error() string {
	return fmt.Sprintf("%v (retry after %ds)", e.Err, ceilSeconds(e.RetryAfter))
}

// Unwrap returns Err.
func (e *ThrottleError) Unwrap() error { return e.Err }

// ceilSeconds rounds d up to whole seconds, at least 1: a client told to
// retry after 0 seconds would retry at once and be refused again.
func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// RetryAfterSeconds returns RetryAfter rounded up to whole seconds (at
// least 1), the unit of the HTTP Retry-After header (RFC 9110 section
// 10.2.3).
func (e *ThrottleError) RetryAfterSeconds() int64 { return ceilSeconds(e.RetryAfter) }
