package testdoc

import (
	"fmt"
	"slices"

	"github.com/netid/netid/internal/document"
)

// provinceCodes are the province-level prefixes of GB/T 2260 address codes
// that appear in GB 11643-1999 numbers: the mainland provinces,
// autonomous regions and municipalities, Taiwan (71), and the residence
// permit codes 81 (Hong Kong), 82 (Macao) and 83 (Taiwan).
var provinceCodes = []string{
	"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
	"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
	"71", "81", "82", "83",
}

// MaxResidentSeq is one more than the largest seq ResidentIDNumber takes.
const MaxResidentSeq = 499

// ResidentIDNumber generates a GB 11643-1999 citizen identity number: the
// 6-digit region (address) code, the birth date as YYYYMMDD, a 3-digit
// sequence code whose parity gives the sex (odd for men, even for women),
// and the ISO 7064 MOD 11-2 check character.
//
// seq (0 ≤ seq < MaxResidentSeq) numbers the people born on the same day
// in the same region: the sequence code is 2·seq+1 for sex "M" and 2·seq+2
// for "F", so it is never 000. It is computed here independently of
// package document's parser, so that tests of one check the other.
func ResidentIDNumber(region string, birth document.Date, sex string, seq int) (string, error) {
	if len(region) != 6 || !allDigits(region) {
		return "", fmt.Errorf("%w: region code %q is not 6 digits", ErrSpec, region)
	}
	if !slices.Contains(provinceCodes, region[:2]) {
		return "", fmt.Errorf("%w: region code %q does not start with a province-level code", ErrSpec, region)
	}
	if !birth.Complete() || birth.Year < 1900 || birth.Year > 9999 {
		return "", fmt.Errorf("%w: birth date %q is not a complete date from 1900 on", ErrSpec, birth)
	}
	if _, err := document.ParseDate(birth.String()); err != nil {
		return "", fmt.Errorf("%w: birth date: %w", ErrSpec, err)
	}
	if seq < 0 || seq >= MaxResidentSeq {
		return "", fmt.Errorf("%w: sequence %d is not in [0, %d)", ErrSpec, seq, MaxResidentSeq)
	}
	var code int
	switch sex {
	case "M":
		code = 2*seq + 1
	case "F":
		code = 2*seq + 2
	default:
		return "", fmt.Errorf("%w: sex %q: a GB 11643 number encodes M or F only", ErrSpec, sex)
	}
	body := fmt.Sprintf("%s%04d%02d%02d%03d", region, birth.Year, int(birth.Month), birth.Day, code)
	return body + string(mod11_2(body)), nil
}

// mod11_2 is the ISO 7064 MOD 11-2 check character of a digit string: the
// value c with (Σ dᵢ·2^(n-i) + c) ≡ 1 (mod 11), where the body digits are
// weighted by the powers of two from the right, starting at 2¹; written X
// for 10.
func mod11_2(body string) byte {
	sum, w := 0, 2
	for i := len(body) - 1; i >= 0; i-- {
		sum += int(body[i]-'0') * w
		w = w * 2 % 11
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
