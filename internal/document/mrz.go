package document

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is the size class of a machine-readable zone (ICAO 9303 parts 4-7).
type Format string

// The MRZ formats this package reads.
const (
	TD1  Format = "TD1"   // 3 lines of 30: ID-1 size cards (part 5)
	TD2  Format = "TD2"   // 2 lines of 36: ID-2 size documents (part 6)
	TD3  Format = "TD3"   // 2 lines of 44: passport books (part 4)
	MRVA Format = "MRV-A" // 2 lines of 44, document code V: full-page visas (part 7)
	MRVB Format = "MRV-B" // 2 lines of 36, document code V: smaller visas (part 7)
)

// MRZ is a parsed and checked machine-readable zone. Every check digit has
// been verified; text fields have their trailing fillers removed.
type MRZ struct {
	Format Format `json:"format"`
	// DocumentCode is the one- or two-letter document code without filler:
	// "P" or "PO" for passports, "I", "ID", "A", "C..." for cards, "V" for
	// visas.
	DocumentCode string `json:"document_code"`
	// IssuingState and Nationality are ISO 3166-1 alpha-3 or ICAO 9303
	// part 3 codes without filler ("D" for Germany, written "D<<").
	IssuingState string `json:"issuing_state"`
	// DocumentNumber is the whole number, including the characters a TD1 or
	// TD2 carries in its optional data when the number is longer than 9.
	DocumentNumber string `json:"document_number"`
	// OptionalData is the issuer's optional data: the personal number of a
	// TD3, the line 1 optional data of a TD1 (after any document number
	// extension), the optional data of a TD2 or visa. Trailing fillers are
	// removed; inner fillers are kept as '<'.
	OptionalData string `json:"optional_data,omitempty"`
	// OptionalData2 is the line 2 optional data of a TD1.
	OptionalData2 string `json:"optional_data_2,omitempty"`
	// PrimaryIdentifier (surname) and SecondaryIdentifier (given names) have
	// their '<' fillers turned into single spaces.
	PrimaryIdentifier   string `json:"primary_identifier"`
	SecondaryIdentifier string `json:"secondary_identifier,omitempty"`
	Nationality         string `json:"nationality"`
	// BirthDate may be partially or wholly unknown (see Date).
	BirthDate Date `json:"birth_date"`
	// Sex is "M", "F" or "X" (unspecified: '<' in the MRZ, or 'X' which some
	// issuers print there).
	Sex    string `json:"sex"`
	Expiry Date   `json:"expiry_date"`
	// Lines are the MRZ lines as read, without surrounding whitespace.
	Lines []string `json:"lines"`
}

// Name returns the full name in MRZ order, primary identifier first.
func (m *MRZ) Name() string {
	if m.SecondaryIdentifier == "" {
		return m.PrimaryIdentifier
	}
	return m.PrimaryIdentifier + " " + m.SecondaryIdentifier
}

// Expired reports whether the document has expired on the civil date of
// now. A document is valid through its expiry date.
func (m *MRZ) Expired(now time.Time) bool {
	return m.Expiry.Before(NewDate(now))
}

// MaxMRZInput bounds the text ParseMRZ reads; a real MRZ with generous
// whitespace is far below it. Longer input is refused before any work.
const MaxMRZInput = 1024

// ParseMRZ parses and checks an MRZ given as its 2 or 3 lines separated by
// newlines, resolving two-digit years against the current time. It is
// ParseMRZAt(text, time.Now()).
func ParseMRZ(text string) (*MRZ, error) {
	return ParseMRZAt(text, time.Now())
}

// ParseMRZAt parses and checks an MRZ given as its 2 or 3 lines separated by
// newlines ("\n" or "\r\n"; surrounding whitespace and blank lines are
// ignored). The format follows from the shape: 3 lines of 30 characters
// (TD1), 2 of 36 (TD2, or MRV-B for document code V) or 2 of 44 (TD3, or
// MRV-A).
//
// Two-digit years are resolved against now (see resolveBirthYear and
// resolveExpiryYear): a birth date takes the latest century that does not
// put it after now's civil date; an expiry date takes the year within 50
// years of now's year (from now-50 to now+49).
//
// Every refusal is a *FieldError naming the line, columns and field, and
// wrapping ErrFormat, ErrCheckDigit, ErrDate or ErrCountry. Expiry is not
// judged here: see (*MRZ).Expired.
func ParseMRZAt(text string, now time.Time) (*MRZ, error) {
	if len(text) > MaxMRZInput {
		return nil, &FieldError{Source: "mrz", Reason: fmt.Sprintf("is %d bytes long, more than any MRZ", len(text)), Err: ErrFormat}
	}
	var lines []string
	for l := range strings.SplitSeq(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return ParseMRZLines(lines, now)
}

// ParseMRZLines is ParseMRZAt for lines already split. The lines are taken
// as they are: surrounding whitespace is refused like any other character
// outside the MRZ set.
func ParseMRZLines(lines []string, now time.Time) (*MRZ, error) {
	for i, l := range lines {
		for j := 0; j < len(l); j++ {
			if !isMRZChar(l[j]) {
				r, _ := utf8.DecodeRuneInString(l[j:])
				return nil, &FieldError{Source: "mrz", Line: i + 1, Start: j + 1,
					Reason: fmt.Sprintf("character %q is not allowed (only A-Z, 0-9 and <)", string(r)), Err: ErrFormat}
			}
		}
	}
	f, err := mrzFormat(lines)
	if err != nil {
		return nil, err
	}
	if (f == TD3 || f == TD2) && lines[0][0] == 'V' {
		f = map[Format]Format{TD3: MRVA, TD2: MRVB}[f]
	}
	p := &mrzParser{lines: lines, now: now, m: &MRZ{Format: f, Lines: append([]string(nil), lines...)}}
	switch f {
	case TD1:
		p.td1()
	default:
		p.twoLine()
	}
	if p.err != nil {
		return nil, p.err
	}
	return p.m, nil
}

// mrzFormat finds the format from the number and length of the lines.
func mrzFormat(lines []string) (Format, error) {
	want := "3 lines of 30 characters (TD1), 2 of 36 (TD2) or 2 of 44 (TD3)"
	switch len(lines) {
	case 3:
		for i, l := range lines {
			if len(l) != 30 {
				return "", &FieldError{Source: "mrz", Line: i + 1, Reason: fmt.Sprintf("has %d characters, want 30 (TD1)", len(l)), Err: ErrFormat}
			}
		}
		return TD1, nil
	case 2:
		n := len(lines[0])
		var f Format
		switch n {
		case 36:
			f = TD2
		case 44:
			f = TD3
		default:
			if len(lines[1]) == 36 || len(lines[1]) == 44 {
				return "", &FieldError{Source: "mrz", Line: 1, Reason: fmt.Sprintf("has %d characters, want %d like line 2", n, len(lines[1])), Err: ErrFormat}
			}
			return "", &FieldError{Source: "mrz", Reason: fmt.Sprintf("lines have %d and %d characters, want %s", n, len(lines[1]), want), Err: ErrFormat}
		}
		if len(lines[1]) != n {
			return "", &FieldError{Source: "mrz", Line: 2, Reason: fmt.Sprintf("has %d characters, want %d like line 1 (%s)", len(lines[1]), n, f), Err: ErrFormat}
		}
		return f, nil
	}
	return "", &FieldError{Source: "mrz", Reason: fmt.Sprintf("has %d lines, want %s", len(lines), want), Err: ErrFormat}
}

func isMRZChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<'
}

// mrzCharValue is the check digit value of an MRZ character (ICAO 9303
// part 3, 4.9): digits their value, A-Z 10-35, the filler 0. It returns -1
// for any other character.
func mrzCharValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c == '<':
		return 0
	}
	return -1
}

// MRZCheckDigit computes the ICAO 9303 part 3 (section 4.9) check digit of
// s: each character's value (0-9 for digits, 10-35 for A-Z, 0 for '<') is
// multiplied by the repeating weights 7, 3, 1, the products summed, and
// the sum taken modulo 10. It returns the digit as a character '0'..'9', or
// an error wrapping ErrFormat if s holds a character outside A-Z, 0-9, '<'.
func MRZCheckDigit(s string) (byte, error) {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		v := mrzCharValue(s[i])
		if v < 0 {
			return 0, fmt.Errorf("mrz check digit: character %q at position %d is not allowed (only A-Z, 0-9 and <): %w", string(s[i]), i+1, ErrFormat)
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), nil
}

// trimFiller removes trailing '<' fillers.
func trimFiller(s string) string { return strings.TrimRight(s, "<") }
