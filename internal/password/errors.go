package password

import (
	"errors"
	"fmt"
)

// Errors of the Hasher. The HTTP layer maps ErrBusy to 503 Service
// Unavailable with a Retry-After header; ErrMalformedHash and
// ErrParamsOutOfBounds mean the stored credential is damaged or tampered
// with and are server-side faults (500, logged), never the resident's.
var (
	// ErrBusy is returned when no argon2 computation could start: the wait
	// queue was full or the wait lasted longer than the configured maximum.
	// Retrying a little later is the right response.
	ErrBusy = errors.New("password: too many password checks in progress")

	// ErrMalformedHash is returned by Verify when the stored string is not
	// a PHC argon2id string this package could have written.
	ErrMalformedHash = errors.New("password: malformed stored hash")

	// ErrParamsOutOfBounds is returned by Verify when the stored string
	// asks for more memory, passes or lanes than this Hasher allows, so
	// that one bad row cannot exhaust memory or hold a slot for minutes.
	ErrParamsOutOfBounds = errors.New("password: stored hash parameters out of bounds")

	// ErrInputTooLong is returned by Hash for input longer than
	// MaxInputBytes. Policy.Check refuses such passwords first, with
	// ErrTooLong.
	ErrInputTooLong = errors.New("password: input too long")
)

// Reasons a Policy refuses a password. They are the Reason of a
// *PolicyError; test for them with errors.Is.
var (
	ErrTooShort    = errors.New("password too short")
	ErrTooLong     = errors.New("password too long")
	ErrCommon      = errors.New("password is common or breached")
	ErrContext     = errors.New("password is derived from the account's own details")
	ErrRepetitive  = errors.New("password is repetitive or sequential")
	ErrUnprintable = errors.New("password contains control characters or invalid text")
)

// PolicyError says why a Policy refused a password. Its Error text is
// written for the resident and says what to do instead; it never contains
// the password. Reason is one of ErrTooShort, ErrTooLong, ErrCommon,
// ErrContext, ErrRepetitive or ErrUnprintable.
type PolicyError struct {
	Reason error
	// Min and Max are the policy's limits in characters (Unicode code
	// points after NFKC normalisation), for the length messages.
	Min, Max int
}

// Error returns the message to show the resident.
func (e *PolicyError) Error() string {
	switch e.Reason {
	case ErrTooShort:
		return fmt.Sprintf("Use at least %d characters. A few unrelated words make a long password that is easy to remember and hard to guess.", e.Min)
	case ErrTooLong:
		return fmt.Sprintf("Use at most %d characters.", e.Max)
	case ErrCommon:
		return "This password is on a list of common or leaked passwords that attackers try first, even with a few digits or symbols added. Choose a different one, for example a few unrelated words."
	case ErrContext:
		return "This password is too close to your internet number, phone number or name, which others may know. Choose one that does not contain them."
	case ErrRepetitive:
		return "This password is a repeated or sequential pattern, like aaaaaaaa, 12345678 or abcdefgh, that attackers try first. Choose something less predictable, for example a few unrelated words."
	case ErrUnprintable:
		return "This password contains control characters or invalid text that cannot be typed reliably. Use letters, digits, spaces, punctuation or emoji."
	default:
		return "This password cannot be used. Choose a different one."
	}
}

// Unwrap returns the Reason, so errors.Is(err, ErrCommon) works.
func (e *PolicyError) Unwrap() error { return e.Reason }
