package phone

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// Number is a phone number in E.164 form: a country calling code and a
// national significant number, 15 digits at most together. The zero Number
// is not a valid number; ParseNumber returns only valid ones.
//
// A Number is personal data. Its String, GoString, Format and LogValue
// methods return the redacted form, so printing or logging one by accident does not
// leak it; E164 returns the full number for the gateway and for encryption
// at rest. Number deliberately has no JSON or text marshalling.
type Number struct {
	cc  string // country calling code, 1 to 3 digits
	nsn string // national significant number
}

// maxInputLen bounds the text ParseNumber looks at. The longest sensible
// input (15 digits with a separator after each, a prefix and parentheses)
// is far shorter; anything longer is refused before any work.
const maxInputLen = 64

// maxE164Digits is the maximum length of an international number, country
// code included (ITU-T E.164 section 6.1).
const maxE164Digits = 15

// minNationalDigits is the shortest national significant number accepted.
// Some small territories have four-digit subscriber numbers (Niue, +683).
const minNationalDigits = 4

// RegionCN is the region whose national numbers ParseNumber understands.
const RegionCN = "CN"

// ParseNumber parses a phone number typed by a person and returns it in
// E.164 form.
//
// Accepted input: digits with spaces, hyphens, dots and parentheses between
// them (their full-width forms too, as Chinese input methods type them);
// international numbers written with a leading '+' (or '＋') or the
// international prefix 00. When defaultRegion is "CN" (in any case), a
// number without a prefix is read as a mainland China number: an 11-digit
// mobile number starting with 13 to 19, also accepted with the country code
// 86 in front and no '+'. For every other region, including "", numbers
// must be written in international form: netid knows no other national
// dialling rules.
//
// Validation, an honest subset of the numbering plans:
//   - the country calling code must be one ITU-T has assigned (see
//     countrycodes.go), and not a service code (freephone, shared cost,
//     premium rate);
//   - +86 numbers must be mainland China mobile numbers, 1[3-9] and nine
//     more digits: a one-time code sent by SMS cannot reach a fixed line;
//   - +1 (North American Numbering Plan) numbers must have ten digits,
//     with an area code and exchange code starting with 2 to 9;
//   - +7 numbers must have ten digits;
//   - every other number must have at least 4 national digits and at most
//     15 digits in all (the E.164 maximum).
//
// Prefixes within a country (which mobile networks exist) are not checked
// beyond this: a number that passes may still not exist, which only the SMS
// itself can tell.
//
// Errors wrap ErrInvalidNumber and never quote the input.
func ParseNumber(s string, defaultRegion string) (Number, error) {
	if len(s) > maxInputLen {
		return Number{}, invalid("the text is longer than %d bytes", maxInputLen)
	}
	if !utf8.ValidString(s) {
		return Number{}, invalid("the text is not valid UTF-8")
	}
	digits, plus, err := scanNumber(s)
	if err != nil {
		return Number{}, err
	}
	if digits == "" {
		return Number{}, invalid("no digits")
	}
	switch {
	case plus:
		return parseInternational(digits)
	case strings.HasPrefix(digits, "00"):
		return parseInternational(digits[2:])
	case strings.EqualFold(defaultRegion, RegionCN):
		return parseNationalCN(digits)
	default:
		return Number{}, invalid("write the number in international form: '+', the country calling code, then the number")
	}
}

// scanNumber collects the digits of s and reports whether it started with
// a plus sign. Separators are dropped; a plus sign is allowed only before
// the first digit, and only once.
func scanNumber(s string) (digits string, plus bool, err error) {
	var b strings.Builder
	b.Grow(len(s))
	pos := 0
	for _, r := range s {
		pos++
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９': // full-width digits
			b.WriteByte(byte('0' + r - '０'))
		case r == '+' || r == '＋':
			if plus || b.Len() > 0 {
				return "", false, invalid("'+' is allowed only once, before the digits (character %d)", pos)
			}
			plus = true
		case isSeparator(r):
		default:
			return "", false, invalid("unexpected character at position %d: only digits, '+', spaces, hyphens, dots and parentheses are allowed", pos)
		}
	}
	return b.String(), plus, nil
}

// isSeparator reports whether r is a character people put between digit
// groups: spaces, hyphens and dashes, dots and parentheses, ASCII or
// full-width.
func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\u00a0', '\u3000', // spaces, including no-break and ideographic
		'-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\uff0d', // hyphens and dashes
		'.', '\uff0e',
		'(', ')', '\uff08', '\uff09':
		return true
	}
	return false
}

// parseInternational parses digits that follow '+' or 00.
func parseInternational(digits string) (Number, error) {
	if digits == "" {
		return Number{}, invalid("no digits after the international prefix")
	}
	if len(digits) > maxE164Digits {
		return Number{}, invalid("%d digits: an international number has at most %d", len(digits), maxE164Digits)
	}
	if digits[0] == '0' {
		return Number{}, invalid("a country calling code never starts with 0")
	}
	cc, nsn, service, ok := splitCountryCode(digits)
	switch {
	case service != "":
		return Number{}, invalid("+%s is the %s, not a personal number", cc, service)
	case !ok:
		return Number{}, invalid("the number does not start with an assigned country calling code")
	}
	if err := checkNational(cc, nsn); err != nil {
		return Number{}, err
	}
	return Number{cc: cc, nsn: nsn}, nil
}

// checkNational applies the per-country rules netid knows to the national
// significant number nsn of country code cc.
func checkNational(cc, nsn string) error {
	switch cc {
	case "86":
		if !isCNMobile(nsn) {
			return invalid("+86 numbers must be mainland China mobile numbers: 11 digits starting with 13 to 19")
		}
	case "1":
		if len(nsn) != 10 || nsn[0] < '2' || nsn[3] < '2' {
			return invalid("+1 numbers have 10 digits: a 3-digit area code and a 7-digit number, both starting with 2 to 9")
		}
	case "7":
		if len(nsn) != 10 {
			return invalid("+7 numbers have 10 digits after the country code")
		}
	default:
		if len(nsn) < minNationalDigits {
			return invalid("only %d digits after the country calling code +%s", len(nsn), cc)
		}
	}
	return nil
}

// parseNationalCN parses a number written without an international prefix
// as a mainland China mobile number.
func parseNationalCN(digits string) (Number, error) {
	// "86" followed by a mobile number, without '+': common in forms. No
	// national number of 13 digits starts with 86 (mobile numbers start
	// with 1, and fixed-line numbers are dialled with a trunk 0), so this
	// reading is unambiguous.
	if len(digits) == 13 && strings.HasPrefix(digits, "86") && isCNMobile(digits[2:]) {
		return Number{cc: "86", nsn: digits[2:]}, nil
	}
	if isCNMobile(digits) {
		return Number{cc: "86", nsn: digits}, nil
	}
	if digits[0] == '0' {
		return Number{}, invalid("a fixed-line number cannot receive SMS codes; give a mobile number (11 digits starting with 13 to 19)")
	}
	return Number{}, invalid("%d digits: a mainland China mobile number has 11 digits starting with 13 to 19; write other numbers with '+' and the country code", len(digits))
}

// isCNMobile reports whether nsn has the shape of a mainland China mobile
// number in the MIIT numbering plan (11 digits, 1 then 3 to 9). Individual
// network prefixes (such as 190-199 or the 16x range) are not checked: new
// ones are allocated from time to time, and refusing a real number would
// lock its holder out.
func isCNMobile(nsn string) bool {
	return len(nsn) == 11 && nsn[0] == '1' && nsn[1] >= '3' && nsn[1] <= '9' && allDigits(nsn)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidNumber, fmt.Sprintf(format, args...))
}

// IsZero reports whether n is the zero Number (not a parsed number).
func (n Number) IsZero() bool { return n.cc == "" }

// E164 returns the number in E.164 form, "+8613800138000", or "" for the
// zero Number. It is personal data: pass it to gateways and encryption, not
// to logs.
func (n Number) E164() string {
	if n.IsZero() {
		return ""
	}
	return "+" + n.cc + n.nsn
}

// CountryCode returns the country calling code without '+', "86".
func (n Number) CountryCode() string { return n.cc }

// National returns the national significant number, "13800138000". It is
// personal data.
func (n Number) National() string { return n.nsn }

// Redacted returns a form of the number safe for logs and for showing
// which number a code went to: the country code, then the national number
// with its middle digits masked. 11 digits or more keep the first 3 and the
// last 4 ("+86 138****8000", the form Chinese services show); 8 to 10
// digits keep the last 4; shorter numbers keep the last 2.
func (n Number) Redacted() string {
	if n.IsZero() {
		return ""
	}
	head, tail := 0, 2
	switch l := len(n.nsn); {
	case l >= 11:
		head, tail = 3, 4
	case l >= 8:
		tail = 4
	}
	masked := len(n.nsn) - head - tail
	return "+" + n.cc + " " + n.nsn[:head] + strings.Repeat("*", masked) + n.nsn[len(n.nsn)-tail:]
}

// String returns Redacted: a Number printed with %v or %s by mistake does
// not leak. Use E164 for the full number.
func (n Number) String() string { return n.Redacted() }

// GoString returns the redacted form for %#v, which would otherwise print
// the fields.
func (n Number) GoString() string { return fmt.Sprintf("phone.Number(%q)", n.Redacted()) }

// Format implements fmt.Formatter so that every verb prints the redacted
// form: without it, verbs that are not valid for strings (%d) would print
// the struct's fields.
func (n Number) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, n.GoString())
		return
	}
	fmt.Fprint(f, n.Redacted())
}

// LogValue implements slog.LogValuer with the redacted form.
func (n Number) LogValue() slog.Value { return slog.StringValue(n.Redacted()) }

// Equal reports whether n and m are the same number.
func (n Number) Equal(m Number) bool { return n == m }
