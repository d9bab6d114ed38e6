package document

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Number is a document number checked against the rules of its type, with
// what the number itself reveals.
type Number struct {
	Type DocType `json:"type"`
	// Number is the normalised number: surrounding whitespace removed,
	// letters in upper case, parentheses kept as printed.
	Number string `json:"number"`
	// PersonNumber is the part of the number that stays with the person
	// across reissued documents, for the identity anchor: the whole GB
	// 11643 number, the lifelong number of a travel permit without its
	// issue count and office code, the whole number of the other types. A
	// passport number changes with every passport; a foreign permanent
	// resident's 2023 number differs from their earlier 15-character one.
	PersonNumber string `json:"person_number"`
	// Region is the GB/T 2260 address code or province-level prefix the
	// number carries, if any.
	Region string `json:"region,omitempty"`
	// Nationality is the nationality code the number carries: ISO 3166-1
	// alpha-3 on 15-character permanent resident cards, ISO 3166-1 numeric
	// on 18-digit ones.
	Nationality string `json:"nationality,omitempty"`
	// BirthDate and Sex are set when the number encodes them.
	BirthDate Date   `json:"birth_date,omitzero"`
	Sex       string `json:"sex,omitempty"`
	// IssueCount is the number of permits issued to the person before and
	// including this one, carried by older travel permit numbers; 0 when
	// the number does not say.
	IssueCount int `json:"issue_count,omitempty"`
}

// maxNumberLen bounds the document numbers ValidateNumber reads; the longest
// accepted form has 18 characters (an old Taiwan travel permit with its
// office code has 13).
const maxNumberLen = 64

// ValidateNumber checks number against the rules of document type t and
// returns it normalised with what it encodes. The type name is read as
// ParseDocType reads it. now is the reference time
// for birth dates (not in the future) and two-digit years.
//
// Refusals are *FieldError values wrapping ErrFormat, ErrCheckDigit,
// ErrDate, ErrRegion, ErrCountry, or ErrDocType when t is unknown or the
// number belongs to another type (a residence permit number given as a
// resident identity card, say).
func ValidateNumber(t DocType, number string, now time.Time) (*Number, error) {
	t, err := ParseDocType(string(t)) // also accepts " Passport "
	if err != nil {
		return nil, err
	}
	info, _ := t.Info()
	s := strings.TrimSpace(number)
	if len(s) > maxNumberLen {
		return nil, &FieldError{Source: info.sourceName(), Reason: fmt.Sprintf("has %d characters, too many for any document number", utf8.RuneCountInString(s)), Err: ErrFormat}
	}
	switch t {
	case ResidentIDCard, HKMacaoResidencePermit, TaiwanResidencePermit:
		return validateGB11643(t, s, now)
	case HKMacaoTravelPermit:
		return validateHKMacaoTravelPermit(strings.ToUpper(s))
	case TaiwanTravelPermit:
		return validateTaiwanTravelPermit(strings.ToUpper(s))
	case ForeignPermanentResidentCard:
		return validatePermanentResidentCard(strings.ToUpper(s), now)
	case Passport:
		return validatePassportNumber(strings.ToUpper(s))
	}
	return nil, fmt.Errorf("document type %q has no number rules: %w", t, ErrDocType)
}

// sourceName is how error messages name a number of this type.
func (info TypeInfo) sourceName() string {
	switch info.Type {
	case ResidentIDCard, HKMacaoResidencePermit, TaiwanResidencePermit:
		return "id number"
	case HKMacaoTravelPermit, TaiwanTravelPermit:
		return "travel permit number"
	case ForeignPermanentResidentCard:
		return "permanent resident card number"
	}
	return "passport number"
}

// validateGB11643 checks a GB 11643 number and that its region matches the
// claimed type: 81/82 for Hong Kong and Macao residence permits, 83 for
// Taiwan, any other province for the resident identity card.
func validateGB11643(t DocType, s string, now time.Time) (*Number, error) {
	id, err := ParseIDNumber(s, now)
	if err != nil {
		return nil, err
	}
	p := id.Region[:2]
	var want DocType
	switch p {
	case "81", "82":
		want = HKMacaoResidencePermit
	case "83":
		want = TaiwanResidencePermit
	default:
		want = ResidentIDCard
	}
	if want != t {
		return nil, idErr(1, 6, "region code", fmt.Sprintf("%q is the region code of a %s, not of a %s", id.Region, want, t), ErrDocType)
	}
	return &Number{Type: t, Number: id.Number, PersonNumber: id.Number, Region: id.Region, BirthDate: id.BirthDate, Sex: id.Sex}, nil
}

// validateHKMacaoTravelPermit checks H or M followed by the 8-digit
// lifelong number, optionally followed by the 2-digit issue count that
// older permits print.
func validateHKMacaoTravelPermit(s string) (*Number, error) {
	const src = "travel permit number"
	if s == "" {
		return nil, &FieldError{Source: src, Reason: "is empty", Err: ErrFormat}
	}
	if s[0] != 'H' && s[0] != 'M' {
		return nil, &FieldError{Source: src, Start: 1, Field: "first letter", Reason: fmt.Sprintf("is %q, want H (Hong Kong) or M (Macao)", firstRune(s)), Err: ErrFormat}
	}
	digits := s[1:]
	if len(digits) != 8 && len(digits) != 10 {
		return nil, &FieldError{Source: src, Reason: fmt.Sprintf("has %d characters after %c, want 8 (or 10 on older permits)", utf8.RuneCountInString(digits), s[0]), Err: ErrFormat}
	}
	if i := nonDigit(digits); i >= 0 {
		return nil, &FieldError{Source: src, Start: i + 2, Field: "character", Reason: fmt.Sprintf("%q is not a digit", firstRune(digits[i:])), Err: ErrFormat}
	}
	n := &Number{Type: HKMacaoTravelPermit, Number: s, PersonNumber: s[:9]}
	if s[0] == 'H' {
		n.Region = "810000"
	} else {
		n.Region = "820000"
	}
	if len(digits) == 10 {
		n.IssueCount, _ = atoiDigits(digits[8:])
	}
	return n, nil
}

// validateTaiwanTravelPermit checks the 8-digit lifelong number; permits
// issued before 25 September 2008 append a 2-digit issue count and, for
// some issuing offices, an office code in parentheses: "0561682001(D)".
func validateTaiwanTravelPermit(s string) (*Number, error) {
	const src = "travel permit number"
	digits, office := s, ""
	if open := strings.IndexByte(s, '('); open >= 0 {
		digits, office = s[:open], s[open:]
		if len(office) != 3 || office[2] != ')' || !isUpperOrDigit(office[1]) {
			return nil, &FieldError{Source: src, Start: open + 1, Field: "issuing office code", Reason: fmt.Sprintf("%q is not one letter or digit in parentheses", office), Err: ErrFormat}
		}
		if len(digits) != 10 {
			return nil, &FieldError{Source: src, Reason: fmt.Sprintf("has %d digits before the office code, want 10", utf8.RuneCountInString(digits)), Err: ErrFormat}
		}
	}
	if len(digits) != 8 && len(digits) != 10 {
		return nil, &FieldError{Source: src, Reason: fmt.Sprintf("has %d characters, want 8 (or 10 on permits issued before 25 September 2008)", utf8.RuneCountInString(digits)), Err: ErrFormat}
	}
	if i := nonDigit(digits); i >= 0 {
		return nil, &FieldError{Source: src, Start: i + 1, Field: "character", Reason: fmt.Sprintf("%q is not a digit", firstRune(digits[i:])), Err: ErrFormat}
	}
	n := &Number{Type: TaiwanTravelPermit, Number: s, PersonNumber: digits[:8], Region: "830000"}
	if len(digits) == 10 {
		n.IssueCount, _ = atoiDigits(digits[8:])
	}
	return n, nil
}

// validatePassportNumber checks an ICAO 9303 passport number: 1 to 9
// letters and digits, the width of the TD3 document number field (part 4,
// 4.2.2). Passports have no room for the longer numbers TD1 cards carry
// in their optional data.
func validatePassportNumber(s string) (*Number, error) {
	const src = "passport number"
	if s == "" {
		return nil, &FieldError{Source: src, Reason: "is empty", Err: ErrFormat}
	}
	if len(s) > 9 {
		return nil, &FieldError{Source: src, Reason: fmt.Sprintf("has %d characters, want at most 9", utf8.RuneCountInString(s)), Err: ErrFormat}
	}
	for i := 0; i < len(s); i++ {
		if !isUpperOrDigit(s[i]) {
			return nil, &FieldError{Source: src, Start: i + 1, Field: "character", Reason: fmt.Sprintf("%q is not a letter A-Z or a digit", firstRune(s[i:])), Err: ErrFormat}
		}
	}
	return &Number{Type: Passport, Number: s, PersonNumber: s}, nil
}

// nonDigit returns the index of the first byte of s that is not an ASCII
// digit, or -1.
func nonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}

func isUpperOrDigit(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// isMainlandProvince reports whether p is a province-level code of the
// mainland (11 to 65), where permanent residence is granted.
func isMainlandProvince(p string) bool {
	_, ok := provinces[p]
	return ok && p < "70"
}
