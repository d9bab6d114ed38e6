package document

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package's parsers wraps one
// of them, so callers can branch with errors.Is and map them to problem
// types; the wrapping *FieldError carries the detail for the resident.
var (
	// ErrFormat means the input does not have the shape of the document
	// field: wrong length, a character outside the allowed set, a missing
	// separator.
	ErrFormat = errors.New("malformed")
	// ErrCheckDigit means a check digit or check character does not match
	// the data it protects: usually a typing or reading (OCR) mistake.
	ErrCheckDigit = errors.New("check digit mismatch")
	// ErrDate means a date field is not a real calendar date, or lies
	// outside the range the document allows (a birth date in the future).
	ErrDate = errors.New("invalid date")
	// ErrRegion means an ID number's region code is not a province-level
	// code in use.
	ErrRegion = errors.New("unknown region code")
	// ErrCountry means a three-letter code is not an ISO 3166-1 alpha-3 or
	// ICAO 9303 code.
	ErrCountry = errors.New("unknown country code")
	// ErrDocType means the document type is unknown, or the number or MRZ
	// is not of the type claimed.
	ErrDocType = errors.New("unknown or unexpected document type")
	// ErrExpired means the document's expiry date has passed.
	ErrExpired = errors.New("document expired")
)

// FieldError is the precise reason a document field was refused. Its message
// is meant for the resident who typed or scanned the document, e.g.
//
//	id number: check character is "5", want "X"
//	mrz: line 2, column 20: birth date check digit is "3", want "7"
//
// Line and the column range are 1-based; zero means not applicable.
type FieldError struct {
	Source string // "id number", "mrz", "passport number", ...
	Line   int    // MRZ line, 1-based; 0 when the source is a single string
	Start  int    // first column of the field, 1-based; 0 when unknown
	End    int    // last column of the field, inclusive
	Field  string // "birth date check digit", "region code", ...
	Reason string // what is wrong, written to follow Field
	Err    error  // one of the sentinel errors above
}

// Error renders the source, position, field and reason on one line.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	b.WriteString(": ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
		if e.Start > 0 {
			b.WriteString(", ")
		}
	}
	switch {
	case e.Start > 0 && e.End > e.Start:
		fmt.Fprintf(&b, "columns %d-%d", e.Start, e.End)
	case e.Start > 0:
		fmt.Fprintf(&b, "column %d", e.Start)
	}
	if e.Line > 0 || e.Start > 0 {
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(" ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel error, for errors.Is.
func (e *FieldError) Unwrap() error { return e.Err }
