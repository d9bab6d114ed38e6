package password

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Length limits of a Policy, in characters: Unicode code points after NFKC
// normalisation, as NIST SP 800-63B counts them.
const (
	// MinLen is the NIST floor: a policy may ask for more, never less.
	MinLen = 8
	// MinMaxLen is the least maximum NIST allows a verifier to impose.
	MinMaxLen = 64
	// DefaultMaxLen is generous: long passphrases are good passwords.
	DefaultMaxLen = 128
	// MaxMaxLen keeps every accepted password under MaxInputBytes.
	MaxMaxLen = 1024
)

// Policy is what a password must satisfy when a resident chooses it, after
// NIST SP 800-63B-4 section 3.1.1.2 (section 5.1.1.2 in revision 3): a
// length range, no composition rules (no demands for digits, capitals or
// symbols), every printable character allowed, spaces and emoji included,
// and a refusal of passwords that guessers try first.
//
// MaxLen exists to bound the work a password costs on unauthenticated
// input (normalisation, these checks, argon2's hashing of the input) and
// the size of requests; it is not a security limit, so it is generous.
// A zero field means its default (8 and 128).
type Policy struct {
	MinLen, MaxLen int
}

// DefaultPolicy returns Policy{MinLen: 8, MaxLen: 128}.
func DefaultPolicy() Policy { return Policy{MinLen: MinLen, MaxLen: DefaultMaxLen} }

// Validate reports every problem with p at once.
func (p Policy) Validate() error {
	var errs []error
	q := p.withDefaults()
	if q.MinLen < MinLen {
		errs = append(errs, fmt.Errorf("password: policy minimum length %d, want at least %d (NIST SP 800-63B)", q.MinLen, MinLen))
	}
	if q.MaxLen < MinMaxLen || q.MaxLen > MaxMaxLen {
		errs = append(errs, fmt.Errorf("password: policy maximum length %d, want %d to %d", q.MaxLen, MinMaxLen, MaxMaxLen))
	}
	if q.MaxLen < q.MinLen {
		errs = append(errs, fmt.Errorf("password: policy maximum length %d is below the minimum %d", q.MaxLen, q.MinLen))
	}
	return errors.Join(errs...)
}

func (p Policy) withDefaults() Policy {
	if p.MinLen == 0 {
		p.MinLen = MinLen
	}
	if p.MaxLen == 0 {
		p.MaxLen = DefaultMaxLen
	}
	return p
}

// Check returns nil if password may be chosen, or a *PolicyError whose
// Reason says why not and whose message tells the resident what to do.
//
// context holds what others may know about the resident and what the
// service is called: the internet number, phone number, names, e-mail
// address, "netid". A password is refused when it is one of them or is
// built on one with little added ("ZhangWei1990", "13812345678!").
// Callers pass each form they want covered; separators inside a value
// ("+86 138-1234-5678") are ignored.
//
// The checks, in order: valid text without control characters (ErrUnprintable),
// length (ErrTooShort, ErrTooLong), repetitive or sequential patterns
// (ErrRepetitive), context (ErrContext), and the bundled list of common
// and breached passwords and words, case-insensitively and with a
// predictable prefix or suffix of digits and symbols ignored (ErrCommon).
// The comparisons use the NFKC normalised form, as Hash does, so a
// full-width "ｐａｓｓｗｏｒｄ" is refused like "password".
//
// A Policy below the NIST floor is raised to it: Check never accepts fewer
// than 8 characters.
func (p Policy) Check(password string, context ...string) error {
	p = p.withDefaults()
	p.MinLen = max(p.MinLen, MinLen)
	p.MaxLen = max(p.MaxLen, p.MinLen)
	fail := func(reason error) error { return &PolicyError{Reason: reason, Min: p.MinLen, Max: p.MaxLen} }

	if len(password) > MaxInputBytes {
		return fail(ErrTooLong)
	}
	if !utf8.ValidString(password) {
		return fail(ErrUnprintable)
	}
	normalised := norm.NFKC.String(password)
	n := 0
	for _, r := range normalised {
		// Control characters (category Cc: NUL, escape, line breaks, tabs)
		// cannot be typed the same way twice. Format characters such as
		// the zero-width joiner inside emoji sequences are allowed.
		if unicode.IsControl(r) {
			return fail(ErrUnprintable)
		}
		n++
	}
	if n < p.MinLen {
		return fail(ErrTooShort)
	}
	if n > p.MaxLen {
		return fail(ErrTooLong)
	}

	lowered := []rune(strings.ToLower(normalised))
	// Patterns are judged without spaces and the separators people put
	// between groups, so "a a a a a a a a" and "1-2-3-4-5-6-7-8" are seen
	// for what they are.
	compact := compactPassword(lowered)
	// A password that is one short string repeated is as weak as that
	// string; one long string repeated is judged as that string.
	unit, repeats := repetitionUnit(compact)
	if repeats > 1 && len(unit) < p.MinLen {
		return fail(ErrRepetitive)
	}
	if weight(unit) <= maxPredictable {
		return fail(ErrRepetitive)
	}
	// Context is matched on the whole password, so that a resident's
	// name typed twice is still their name.
	for _, value := range context {
		for _, token := range contextTokens(value) {
			if dominatedBy(compact, token) {
				return fail(ErrContext)
			}
		}
	}
	subject := lowered
	if repeats > 1 {
		subject = unit
	}
	if isCommon(subject) {
		return fail(ErrCommon)
	}
	return nil
}
