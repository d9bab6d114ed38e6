package document

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// IDNumber is a checked citizen identity number (公民身份号码) in the
// GB 11643-1999 form, as printed on resident identity cards and on the
// residence permits for Hong Kong, Macao and Taiwan residents.
type IDNumber struct {
	// Number is the normalised number: 18 characters, check character
	// "X" in upper case.
	Number string `json:"number"`
	// Region is the 6-digit address code (GB/T 2260) of the registered
	// residence when the number was assigned: 810000, 820000 or 830000
	// for the residence permits.
	Region string `json:"region"`
	// Province is the province-level name for Region's first two digits.
	Province  string `json:"province"`
	BirthDate Date   `json:"birth_date"`
	// Sex is "M" (odd sequence code) or "F" (even).
	Sex string `json:"sex"`
}

// IDNumberLen is the length of a GB 11643-1999 identity number.
const IDNumberLen = 18

// minBirthYear is the earliest birth year accepted in an identity number.
// Numbers were assigned from 1999 to the living; a year before 1900 is a
// typing mistake.
const minBirthYear = 1900

// idWeights are the GB 11643-1999 (ISO 7064 MOD 11-2) weights of the 17
// body digits: 2^(17-i) mod 11 for position i = 0..16.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// IDCheckChar computes the ISO 7064 MOD 11-2 check character of the 17
// digit body of a GB 11643-1999 number: the weighted sum S of the digits,
// then (12 - S mod 11) mod 11, written "X" when it is 10. It returns an
// error wrapping ErrFormat unless body is exactly 17 ASCII digits.
func IDCheckChar(body string) (byte, error) {
	if len(body) != 17 {
		return 0, fmt.Errorf("id number check character: body has %d characters, want 17: %w", len(body), ErrFormat)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := body[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("id number check character: body character %d is not a digit: %w", i+1, ErrFormat)
		}
		sum += int(c-'0') * idWeights[i]
	}
	v := (12 - sum%11) % 11
	if v == 10 {
		return 'X', nil
	}
	return byte('0' + v), nil
}

// ParseIDNumber checks a GB 11643-1999 identity number and derives the
// birth date and sex from it. Surrounding whitespace is ignored and a
// lower-case check character "x" is normalised to "X": people type it both
// ways and the two cannot mean different numbers.
//
// It checks, in order, and refuses with a *FieldError (Source "id number")
// at the first failure:
//
//   - 18 characters: 17 digits and a digit or X (ErrFormat);
//   - the region code's first two digits are a province-level code in use
//     (ErrRegion); for 81, 82 and 83 the whole code is 810000, 820000 or
//     830000 (ErrRegion);
//   - the birth date (characters 7-14) is a calendar date, not before
//     1900 and not after the civil date of now (ErrDate);
//   - the check character (ErrCheckDigit).
//
// Numbers beginning with 9 are foreign permanent resident card numbers,
// which follow the same check character but a different layout; see
// ValidateNumber with ForeignPermanentResidentCard.
func ParseIDNumber(s string, now time.Time) (*IDNumber, error) {
	s = strings.TrimSpace(s)
	if len(s) > 0 && s[0] == '9' && len(s) == IDNumberLen {
		return nil, idErr(1, 1, "first digit", `is "9", which marks a foreign permanent resident card number, not a citizen identity number`, ErrDocType)
	}
	body, err := checkIDShape(s, "id number")
	if err != nil {
		return nil, err
	}
	region := body[:6]
	prov, ok := provinces[region[:2]]
	if !ok {
		return nil, idErr(1, 2, "region code", fmt.Sprintf("%q does not start with a province-level code", region), ErrRegion)
	}
	if p := region[:2]; (p == "81" || p == "82" || p == "83") && region[2:] != "0000" {
		return nil, idErr(1, 6, "region code", fmt.Sprintf("%q: a residence permit number for %s starts with %s0000", region, prov, p), ErrRegion)
	}
	birth, err := idBirthDate(body[6:14], 7, now, "id number")
	if err != nil {
		return nil, err
	}
	if err := verifyIDCheckChar(body, s[17], "id number"); err != nil {
		return nil, err
	}
	return &IDNumber{Number: body + string(upperX(s[17])), Region: region, Province: prov, BirthDate: birth, Sex: sexFromSequence(body[16])}, nil
}

// checkIDShape checks 17 digits followed by a digit, X or x, and returns
// the 17-digit body.
func checkIDShape(s, source string) (string, error) {
	if len(s) != IDNumberLen {
		return "", &FieldError{Source: source, Reason: fmt.Sprintf("has %d characters, want 18", utf8.RuneCountInString(s)), Err: ErrFormat}
	}
	for i := 0; i < 17; i++ {
		if c := s[i]; c < '0' || c > '9' {
			return "", &FieldError{Source: source, Start: i + 1, Field: "character", Reason: fmt.Sprintf("%q is not a digit", firstRune(s[i:])), Err: ErrFormat}
		}
	}
	if c := upperX(s[17]); c != 'X' && (c < '0' || c > '9') {
		return "", &FieldError{Source: source, Start: 18, Field: "check character", Reason: fmt.Sprintf("%q is not a digit or X", firstRune(s[17:])), Err: ErrFormat}
	}
	return s[:17], nil
}

// verifyIDCheckChar compares the check character got with the one computed
// over body.
func verifyIDCheckChar(body string, got byte, source string) error {
	want, err := IDCheckChar(body)
	if err != nil {
		return &FieldError{Source: source, Reason: err.Error(), Err: ErrFormat}
	}
	if upperX(got) != want {
		return &FieldError{Source: source, Field: "check character", Reason: fmt.Sprintf("is %q, want %q", string(got), string(want)), Err: ErrCheckDigit}
	}
	return nil
}

// idBirthDate reads a YYYYMMDD birth date starting at column col (1-based).
func idBirthDate(s string, col int, now time.Time, source string) (Date, error) {
	y, _ := atoiDigits(s[:4])
	m, _ := atoiDigits(s[4:6])
	d := Date{Year: y, Month: time.Month(m)}
	d.Day, _ = atoiDigits(s[6:8])
	fail := func(reason string) (Date, error) {
		return Date{}, &FieldError{Source: source, Start: col, End: col + 7, Field: "birth date", Reason: fmt.Sprintf("%q %s", s, reason), Err: ErrDate}
	}
	switch {
	case !d.Complete() || !d.valid():
		return fail("is not a calendar date")
	case d.Year < minBirthYear:
		return fail(fmt.Sprintf("is before %d", minBirthYear))
	case d.After(NewDate(now)):
		return fail("is in the future")
	}
	return d, nil
}

// idErr builds a FieldError for a single-string number with 1-based
// columns start..end.
func idErr(start, end int, field, reason string, sentinel error) *FieldError {
	return &FieldError{Source: "id number", Start: start, End: end, Field: field, Reason: reason, Err: sentinel}
}

// sexFromSequence reads the sex from the last digit of the sequence code:
// odd for men, even for women (GB 11643-1999, 4.4).
func sexFromSequence(c byte) string {
	if (c-'0')%2 == 1 {
		return "M"
	}
	return "F"
}

func upperX(c byte) byte {
	if c == 'x' {
		return 'X'
	}
	return c
}

// firstRune returns the first character of s, so that error messages show
// a whole character rather than the first byte of a multi-byte one.
func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

// provinces maps the province-level codes of GB/T 2260 (the first two
// digits of an address code) to their names. 71 (Taiwan) is listed in
// GB/T 2260; 81 and 82 are the Hong Kong and Macao special administrative
// regions, used (as 810000, 820000) by the residence permits for their
// residents; 83 (830000) is used by the residence permits for Taiwan
// residents (State Council General Office, 2018, 港澳台居民居住证申领发放办法).
var provinces = map[string]string{
	"11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Inner Mongolia",
	"21": "Liaoning", "22": "Jilin", "23": "Heilongjiang",
	"31": "Shanghai", "32": "Jiangsu", "33": "Zhejiang", "34": "Anhui", "35": "Fujian", "36": "Jiangxi", "37": "Shandong",
	"41": "Henan", "42": "Hubei", "43": "Hunan", "44": "Guangdong", "45": "Guangxi", "46": "Hainan",
	"50": "Chongqing", "51": "Sichuan", "52": "Guizhou", "53": "Yunnan", "54": "Tibet",
	"61": "Shaanxi", "62": "Gansu", "63": "Qinghai", "64": "Ningxia", "65": "Xinjiang",
	"71": "Taiwan", "81": "Hong Kong", "82": "Macao", "83": "Taiwan (residence permit)",
}
