package document

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Authority is an issuing authority's online verification service, the
// evidence pathway for documents whose chip format is not public (resident
// identity cards, residence permits, permanent resident cards).
type Authority interface {
	// Verify asks the authority whether a document with the query's type
	// and number exists, belongs to the person named and born as claimed,
	// and is valid. Every answer the authority gives, including not-found
	// and mismatch, is an AuthorityResult with a nil error. An error means
	// no answer was obtained: it wraps ErrAuthorityUnavailable (try again
	// later), ErrAuthorityRejected (the request was refused, e.g. invalid
	// query or credentials) or ErrAuthorityProtocol (the answer was not
	// understood), or a query validation error (ErrFormat and friends).
	Verify(ctx context.Context, q AuthorityQuery) (AuthorityResult, error)
}

// Errors of Authority implementations.
var (
	// ErrAuthorityUnavailable means the authority could not be reached or
	// answered that it cannot serve now (timeouts, 429, 5xx).
	ErrAuthorityUnavailable = errors.New("document authority unavailable")
	// ErrAuthorityRejected means the authority refused the request (4xx
	// other than 429): bad query, bad or missing credentials.
	ErrAuthorityRejected = errors.New("document authority rejected the request")
	// ErrAuthorityProtocol means the answer did not follow the protocol.
	ErrAuthorityProtocol = errors.New("document authority answer not understood")
)

// AuthorityQuery is what the resident claims: document type and number,
// full name and birth date. It is personal data: it is never logged (its
// LogValue shows only the document type).
type AuthorityQuery struct {
	DocType DocType `json:"doc_type"`
	Number  string  `json:"number"`
	// Name is the full name as printed on the document.
	Name      string `json:"name"`
	BirthDate Date   `json:"birth_date"`
}

// LogValue keeps the personal data out of logs.
func (q AuthorityQuery) LogValue() slog.Value {
	return slog.GroupValue(slog.String("doc_type", string(q.DocType)))
}

// maxNameLen bounds names, in bytes; the longest transliterated names
// printed on documents stay well below it.
const maxNameLen = 256

// Normalize checks the query and returns it with the number normalised by
// ValidateNumber and the name by NormalizeName. now is the reference time
// for the number's birth date.
func (q AuthorityQuery) Normalize(now time.Time) (AuthorityQuery, error) {
	n, err := ValidateNumber(q.DocType, q.Number, now)
	if err != nil {
		return q, err
	}
	q.Number = n.Number
	if q.Name = NormalizeName(q.Name); q.Name == "" {
		return q, &FieldError{Source: "query", Field: "name", Reason: "is empty", Err: ErrFormat}
	}
	if len(q.Name) > maxNameLen || !utf8.ValidString(q.Name) {
		return q, &FieldError{Source: "query", Field: "name", Reason: fmt.Sprintf("is not valid text of at most %d bytes", maxNameLen), Err: ErrFormat}
	}
	if !q.BirthDate.Complete() || !q.BirthDate.valid() {
		return q, &FieldError{Source: "query", Field: "birth date", Reason: "is missing or incomplete", Err: ErrDate}
	}
	return q, nil
}

// NormalizeName prepares a name for comparison: surrounding space removed,
// inner runs of space collapsed to one, Latin letters in upper case, and
// the look-alike separators people type between the parts of
// transliterated names (katakana middle dot, hyphenation point, bullet,
// full-width full stop, bullet operator) turned into the middle dot U+00B7
// that Chinese documents print.
func NormalizeName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == '\u30fb' || r == '\uff65' || r == '\u2027' || r == '\u2022' || r == '\uff0e' || r == '\u2219':
			r = '\u00b7' // middle dot
		default:
			r = unicode.ToUpper(r)
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// Status is the authority's verdict on a query.
type Status string

// The statuses an authority answers with.
const (
	// StatusValid: the record exists, matches the name and birth date,
	// and the document is valid.
	StatusValid Status = "valid"
	// StatusNotFound: no document of this type has this number.
	StatusNotFound Status = "not-found"
	// StatusMismatch: the document exists but the name or birth date does
	// not match. Which one is not said, so that the service cannot be used
	// to guess a person's birth date from their number and name.
	StatusMismatch Status = "mismatch"
	// StatusRevoked: the document matches but was reported lost or stolen,
	// or cancelled.
	StatusRevoked Status = "revoked"
	// StatusExpired: the document matches but has expired.
	StatusExpired Status = "expired"
)

func (s Status) known() bool {
	switch s {
	case StatusValid, StatusNotFound, StatusMismatch, StatusRevoked, StatusExpired:
		return true
	}
	return false
}

// AuthorityResult is an authority's answer, kept with the enrolment for
// audit.
type AuthorityResult struct {
	Status Status `json:"status"`
	// Authority identifies the authority that answered, e.g. "cn-mps".
	Authority string `json:"authority"`
	// VerificationID is the authority's identifier of this verification,
	// for audit and disputes.
	VerificationID string `json:"verification_id"`
	// BirthDate and Sex are confirmed by the authority, and only given
	// when Status is StatusValid.
	BirthDate Date   `json:"birth_date,omitzero"`
	Sex       string `json:"sex,omitempty"`
	// Expiry is the document's expiry date, when the authority gives it.
	Expiry Date `json:"expiry_date,omitzero"`
}

// maxIDLen bounds the authority and verification identifiers.
const maxIDLen = 128

// validate checks a result received from an authority.
func (r AuthorityResult) validate() error {
	switch {
	case !r.Status.known():
		return fmt.Errorf("status %q is not one of valid, not-found, mismatch, revoked, expired", truncate(string(r.Status)))
	case !printableID(r.Authority):
		return fmt.Errorf("authority identifier is missing or not 1 to %d printable ASCII characters", maxIDLen)
	case !printableID(r.VerificationID):
		return fmt.Errorf("verification identifier is missing or not 1 to %d printable ASCII characters", maxIDLen)
	case r.Status == StatusValid && !r.BirthDate.Complete():
		return errors.New("a valid result carries no complete birth date")
	case r.Status != StatusValid && (!r.BirthDate.IsZero() || r.Sex != ""):
		return fmt.Errorf("a %s result carries personal data", r.Status)
	}
	switch r.Sex {
	case "", "M", "F", "X":
	default:
		return fmt.Errorf("sex %q is not M, F or X", truncate(r.Sex))
	}
	return nil
}

// printableID reports whether s is 1 to maxIDLen printable ASCII characters.
func printableID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// truncate shortens untrusted text quoted in error messages.
func truncate(s string) string {
	const n = 64
	if len(s) <= n {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ToValidUTF8(s[:n], "\uFFFD") + "..."
}
