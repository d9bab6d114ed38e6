package document

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// validatePermanentResidentCard checks a foreign permanent resident ID card
// number in either of its forms.
//
// Since 1 December 2023 (National Immigration Administration, 新版外国人
// 永久居留身份证机读信息规则, 2023): 18 characters modelled on GB 11643, the
// first digit 9 marking a foreigner, then the 2-digit province-level code
// of the accepting authority, the 3-digit ISO 3166-1 numeric nationality
// code, the 8-digit birth date, a 3-digit sequence code (odd for men, even
// for women, as in GB 11643) and the ISO 7064 MOD 11-2 check character.
//
// Before (2004 and 2017 cards): 15 characters, the ISO 3166-1 alpha-3
// nationality code, a 4-digit code of the accepting authority (province
// and city), the birth date YYMMDD, a sequence digit, and a check digit
// computed as in ICAO 9303 part 3 (weights 7-3-1) over the first 14.
func validatePermanentResidentCard(s string, now time.Time) (*Number, error) {
	const src = "permanent resident card number"
	switch len(s) {
	case 18:
		return validatePermanentResidentCard2023(s, now)
	case 15:
	default:
		return nil, &FieldError{Source: src, Reason: fmt.Sprintf("has %d characters, want 18 (or 15 on cards issued before December 2023)", utf8.RuneCountInString(s)), Err: ErrFormat}
	}
	for i := 0; i < 15; i++ {
		c := s[i]
		if i < 3 && (c < 'A' || c > 'Z') {
			return nil, &FieldError{Source: src, Start: i + 1, Field: "nationality", Reason: fmt.Sprintf("character %q is not a letter (a 15-character number starts with 3 letters)", firstRune(s[i:])), Err: ErrFormat}
		}
		if i >= 3 && (c < '0' || c > '9') {
			return nil, &FieldError{Source: src, Start: i + 1, Field: "character", Reason: fmt.Sprintf("%q is not a digit", firstRune(s[i:])), Err: ErrFormat}
		}
	}
	if !KnownCountry(s[:3]) {
		return nil, &FieldError{Source: src, Start: 1, End: 3, Field: "nationality", Reason: fmt.Sprintf("%q is not an ISO 3166-1 alpha-3 code", s[:3]), Err: ErrCountry}
	}
	if !isMainlandProvince(s[3:5]) {
		return nil, &FieldError{Source: src, Start: 4, End: 7, Field: "accepting authority code", Reason: fmt.Sprintf("%q does not start with a mainland province-level code", s[3:7]), Err: ErrRegion}
	}
	yy, _ := atoiDigits(s[7:9])
	mm, _ := atoiDigits(s[9:11])
	dd, _ := atoiDigits(s[11:13])
	birth, ok := resolveBirthYear(yy, time.Month(mm), dd, now)
	if !ok || mm == 0 || dd == 0 || birth.Year < minBirthYear {
		return nil, &FieldError{Source: src, Start: 8, End: 13, Field: "birth date", Reason: fmt.Sprintf("%q is not a calendar date YYMMDD", s[7:13]), Err: ErrDate}
	}
	want, _ := MRZCheckDigit(s[:14])
	if s[14] != want {
		return nil, &FieldError{Source: src, Start: 15, Field: "check digit", Reason: fmt.Sprintf("is %q, want %q", string(s[14]), string(want)), Err: ErrCheckDigit}
	}
	return &Number{Type: ForeignPermanentResidentCard, Number: s, PersonNumber: s, Region: s[3:7], Nationality: s[:3], BirthDate: birth}, nil
}

// validatePermanentResidentCard2023 checks the 18-character form.
func validatePermanentResidentCard2023(s string, now time.Time) (*Number, error) {
	const src = "permanent resident card number"
	if s[0] != '9' {
		return nil, &FieldError{Source: src, Start: 1, Field: "first digit", Reason: fmt.Sprintf("is %q, want 9 (an 18-character number starting otherwise is a citizen or residence permit number)", firstRune(s)), Err: ErrDocType}
	}
	body, err := checkIDShape(s, src)
	if err != nil {
		return nil, err
	}
	if !isMainlandProvince(body[1:3]) {
		return nil, &FieldError{Source: src, Start: 2, End: 3, Field: "accepting authority code", Reason: fmt.Sprintf("%q is not a mainland province-level code", body[1:3]), Err: ErrRegion}
	}
	if body[3:6] == "000" {
		return nil, &FieldError{Source: src, Start: 4, End: 6, Field: "nationality", Reason: `"000" is not an ISO 3166-1 numeric code`, Err: ErrCountry}
	}
	birth, err := idBirthDate(body[6:14], 7, now, src)
	if err != nil {
		return nil, err
	}
	if err := verifyIDCheckChar(body, s[17], src); err != nil {
		return nil, err
	}
	n := body + string(upperX(s[17]))
	return &Number{Type: ForeignPermanentResidentCard, Number: n, PersonNumber: n, Region: body[1:3], Nationality: body[3:6], BirthDate: birth, Sex: sexFromSequence(body[16])}, nil
}
