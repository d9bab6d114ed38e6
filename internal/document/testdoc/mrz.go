package testdoc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/netid/netid/internal/document"
)

// ErrSpec is wrapped by every refusal of a Person or DocumentSpec: a field
// that cannot be written in an MRZ.
var ErrSpec = errors.New("testdoc: invalid document spec")

// Person is the holder of a synthetic document.
type Person struct {
	// PrimaryIdentifier is the surname (family name); SecondaryIdentifier
	// the given names, separated by spaces. Latin letters with or without
	// diacritics are transliterated as ICAO 9303 part 3 section 6
	// recommends (Ä becomes AE, ß becomes SS, é becomes E); other scripts
	// must be given in their Latin form (pinyin for Chinese names).
	PrimaryIdentifier   string `json:"primary_identifier"`
	SecondaryIdentifier string `json:"secondary_identifier,omitempty"`
	// BirthDate may lack its day, or its month and day, as some real
	// documents do.
	BirthDate document.Date `json:"birth_date"`
	// Sex is "M", "F" or "X" (unspecified, written '<' in the MRZ).
	Sex string `json:"sex"`
	// Nationality is an ICAO 9303 code ("CHN", "D"); empty means the
	// issuing state.
	Nationality string `json:"nationality,omitempty"`
}

// DocumentSpec describes one synthetic document.
type DocumentSpec struct {
	Person
	// Format is document.TD3 (passport book, the default) or document.TD1
	// (identity card).
	Format document.Format `json:"format,omitempty"`
	// DocumentCode defaults to "P" for TD3 and "ID" for TD1.
	DocumentCode string `json:"document_code,omitempty"`
	// IssuingState is an ICAO 9303 code; Issuer.Chip fills in its own when
	// empty.
	IssuingState string `json:"issuing_state,omitempty"`
	// DocumentNumber is 1 to 9 letters and digits (TD1 allows up to 22,
	// continued in the optional data as ICAO 9303 part 5 describes).
	DocumentNumber string        `json:"document_number"`
	Expiry         document.Date `json:"expiry_date"`
	// OptionalData is the personal number of a TD3 (up to 14 characters)
	// or the line 1 optional data of a TD1 (up to 15, less any document
	// number continuation); OptionalData2 is the line 2 optional data of a
	// TD1 (up to 11). Spaces become fillers.
	OptionalData  string `json:"optional_data,omitempty"`
	OptionalData2 string `json:"optional_data_2,omitempty"`
}

// normalized returns the spec with its defaults filled in and its codes
// upper-cased.
func (s DocumentSpec) normalized() DocumentSpec {
	if s.Format == "" {
		s.Format = document.TD3
	}
	if s.DocumentCode == "" {
		s.DocumentCode = map[document.Format]string{document.TD3: "P", document.TD1: "ID"}[s.Format]
	}
	s.DocumentCode = strings.ToUpper(s.DocumentCode)
	s.IssuingState = strings.ToUpper(s.IssuingState)
	s.Nationality = strings.ToUpper(s.Nationality)
	if s.Nationality == "" {
		s.Nationality = s.IssuingState
	}
	s.DocumentNumber = strings.ToUpper(s.DocumentNumber)
	s.Sex = strings.ToUpper(s.Sex)
	return s
}

// MRZ returns the machine-readable zone of the document: 2 lines of 44
// characters (TD3) or 3 lines of 30 (TD1), separated by "\n", with every
// check digit computed as ICAO 9303 part 3 section 4.9 prescribes. Names
// are transliterated, joined with fillers and, when too long for the name
// field, truncated (see nameField).
func MRZ(spec DocumentSpec) (string, error) {
	lines, err := mrzLines(spec)
	if err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

func mrzLines(spec DocumentSpec) ([]string, error) {
	s := spec.normalized()
	f, err := mrzFields(s)
	if err != nil {
		return nil, err
	}
	switch s.Format {
	case document.TD3:
		return td3(s, f)
	case document.TD1:
		return td1(s, f)
	}
	return nil, fmt.Errorf("%w: format %q (want %s or %s)", ErrSpec, s.Format, document.TD3, document.TD1)
}

// fields holds the MRZ renderings shared by both formats.
type fields struct {
	code, state, nationality string // padded to 2, 3 and 3
	birth, expiry            string // YYMMDD
	sex                      string
}

func mrzFields(s DocumentSpec) (fields, error) {
	var f fields
	var err error
	if len(s.DocumentCode) < 1 || len(s.DocumentCode) > 2 || !isAlpha(s.DocumentCode) {
		return f, fmt.Errorf("%w: document code %q is not one or two letters", ErrSpec, s.DocumentCode)
	}
	f.code = pad(s.DocumentCode, 2)
	if f.state, err = stateCode("issuing state", s.IssuingState); err != nil {
		return f, err
	}
	if f.nationality, err = stateCode("nationality", s.Nationality); err != nil {
		return f, err
	}
	if f.birth, err = mrzDate("birth date", s.BirthDate, true); err != nil {
		return f, err
	}
	if f.expiry, err = mrzDate("expiry date", s.Expiry, false); err != nil {
		return f, err
	}
	switch s.Sex {
	case "M", "F":
		f.sex = s.Sex
	case "X", "", "<":
		f.sex = "<"
	default:
		return f, fmt.Errorf("%w: sex %q (want M, F or X)", ErrSpec, s.Sex)
	}
	if s.DocumentNumber == "" || !isAlnum(s.DocumentNumber) {
		return f, fmt.Errorf("%w: document number %q is not letters and digits", ErrSpec, s.DocumentNumber)
	}
	return f, nil
}

// td3 lays out ICAO 9303 part 4, 4.2.2.
func td3(s DocumentSpec, f fields) ([]string, error) {
	if len(s.DocumentNumber) > 9 {
		return nil, fmt.Errorf("%w: document number %q is longer than the 9 characters of a TD3", ErrSpec, s.DocumentNumber)
	}
	name, err := nameField(s.PrimaryIdentifier, s.SecondaryIdentifier, 39)
	if err != nil {
		return nil, err
	}
	personal, err := optionalField("optional data", s.OptionalData, 14)
	if err != nil {
		return nil, err
	}
	number := pad(s.DocumentNumber, 9)
	personalCD := "<" // part 4 note: a filler when the personal number is all fillers
	if strings.Trim(personal, "<") != "" {
		personalCD = cd(personal)
	}
	l2 := number + cd(number) + f.nationality + f.birth + cd(f.birth) + f.sex + f.expiry + cd(f.expiry) + personal + personalCD
	composite := l2[0:10] + l2[13:20] + l2[21:43]
	l2 += cd(composite)
	return []string{f.code + f.state + name, l2}, nil
}

// td1 lays out ICAO 9303 part 5, 4.2.2, including the continuation of a
// document number longer than 9 characters into the optional data.
func td1(s DocumentSpec, f fields) ([]string, error) {
	num := s.DocumentNumber
	var numberField, opt1Prefix string
	switch {
	case len(num) <= 9:
		numberField = pad(num, 9) + cd(pad(num, 9))
	case len(num) <= 22:
		numberField = num[:9] + "<"
		opt1Prefix = num[9:] + cd(num) + "<"
	default:
		return nil, fmt.Errorf("%w: document number %q is longer than the 22 characters of a TD1", ErrSpec, num)
	}
	opt1, err := optionalField("optional data", s.OptionalData, 15-len(opt1Prefix))
	if err != nil {
		return nil, err
	}
	opt2, err := optionalField("optional data 2", s.OptionalData2, 11)
	if err != nil {
		return nil, err
	}
	name, err := nameField(s.PrimaryIdentifier, s.SecondaryIdentifier, 30)
	if err != nil {
		return nil, err
	}
	l1 := f.code + f.state + numberField + opt1Prefix + opt1
	l2 := f.birth + cd(f.birth) + f.sex + f.expiry + cd(f.expiry) + f.nationality + opt2
	composite := l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
	l2 += cd(composite)
	return []string{l1, l2, name}, nil
}

// cd is the check digit of s, which the callers have already restricted to
// MRZ characters.
func cd(s string) string {
	c, err := document.MRZCheckDigit(s)
	if err != nil {
		panic(fmt.Sprintf("testdoc: check digit over %q: %v", s, err)) // unreachable: fields are validated first
	}
	return string(c)
}

// stateCode validates an ICAO 9303 state code and pads it ("D" → "D<<").
func stateCode(field, code string) (string, error) {
	if !document.KnownCountry(code) {
		return "", fmt.Errorf("%w: %s %q is not an ISO 3166-1 alpha-3 or ICAO 9303 code", ErrSpec, field, code)
	}
	return pad(code, 3), nil
}

// mrzDate renders YYMMDD; an unknown month or day (allowed in a birth date)
// is written as fillers, as ICAO 9303 part 3 prescribes.
func mrzDate(field string, d document.Date, partial bool) (string, error) {
	if d.Year < 1 || d.Year > 9999 || d.Month < 0 || d.Month > 12 || d.Day < 0 || d.Day > 31 || (d.Month == 0 && d.Day != 0) {
		return "", fmt.Errorf("%w: %s %q is not a date", ErrSpec, field, d)
	}
	if !partial && !d.Complete() {
		return "", fmt.Errorf("%w: %s %q must be complete", ErrSpec, field, d)
	}
	if _, err := document.ParseDate(d.String()); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrSpec, field, err)
	}
	out := fmt.Sprintf("%02d", d.Year%100)
	for _, v := range []int{int(d.Month), d.Day} {
		if v == 0 {
			out += "<<"
		} else {
			out += fmt.Sprintf("%02d", v)
		}
	}
	return out, nil
}

// optionalField upper-cases v, turns spaces into fillers and pads it to n.
func optionalField(field, v string, n int) (string, error) {
	v = strings.ReplaceAll(strings.ToUpper(v), " ", "<")
	for i := 0; i < len(v); i++ {
		if !isMRZChar(v[i]) {
			return "", fmt.Errorf("%w: %s %q holds %q (only A-Z, 0-9, space and <)", ErrSpec, field, v, v[i])
		}
	}
	if len(v) > n {
		return "", fmt.Errorf("%w: %s %q is longer than %d characters", ErrSpec, field, v, n)
	}
	return pad(v, n), nil
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat("<", n-len(s))
}

func isMRZChar(c byte) bool { return c == '<' || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') }

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isMRZChar(s[i]) || s[i] == '<' {
			return false
		}
	}
	return true
}
