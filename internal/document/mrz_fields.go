package document

import (
	"fmt"
	"strings"
	"time"
)

// mrzParser reads the fields of one MRZ, keeping the first error. Columns
// below are 0-based offsets into a line; FieldError reports them 1-based.
type mrzParser struct {
	lines []string
	now   time.Time
	m     *MRZ
	err   error
}

func (p *mrzParser) fail(line, start, end int, field, reason string, sentinel error) {
	if p.err == nil {
		p.err = &FieldError{Source: "mrz", Line: line + 1, Start: start + 1, End: end, Field: field, Reason: reason, Err: sentinel}
	}
}

// field returns line[start:end].
func (p *mrzParser) field(line, start, end int) string { return p.lines[line][start:end] }

// td1 reads a TD1 (ICAO 9303 part 5, 4.2.2).
//
//	line 1: code 1-2, issuer 3-5, number 6-14, check 15, optional 16-30
//	line 2: birth 1-6, check 7, sex 8, expiry 9-14, check 15, nationality 16-18, optional 19-29, composite 30
//	line 3: name 1-30
func (p *mrzParser) td1() {
	p.documentCode(0)
	p.m.IssuingState = p.country(0, 2, "issuing state")
	p.m.DocumentNumber, p.m.OptionalData = p.documentNumber(0, 5, 15, 30)
	p.m.BirthDate = p.birthDate(1, 0)
	p.m.Sex = p.sex(1, 7)
	p.m.Expiry = p.expiry(1, 8)
	p.m.Nationality = p.country(1, 15, "nationality")
	p.m.OptionalData2 = trimFiller(p.field(1, 18, 29))
	p.m.PrimaryIdentifier, p.m.SecondaryIdentifier = p.name(2, 0, 30)
	composite := p.field(0, 5, 30) + p.field(1, 0, 7) + p.field(1, 8, 15) + p.field(1, 18, 29)
	p.checkDigit(composite, 1, 29, "composite check digit", false)
}

// twoLine reads a TD2 (part 6, 4.2.2), TD3 (part 4, 4.2.2) or machine
// readable visa (part 7). With n the line length (36 or 44):
//
//	line 1: code 1-2, issuer 3-5, name 6-n
//	line 2: number 1-9, check 10, nationality 11-13, birth 14-19, check 20,
//	        sex 21, expiry 22-27, check 28, optional 29 to n-1 (TD2),
//	        or personal number 29-42 and its check 43 (TD3), composite n
//	        (not on visas, whose optional data runs to n)
func (p *mrzParser) twoLine() {
	n := len(p.lines[0])
	f := p.m.Format
	p.documentCode(0)
	p.m.IssuingState = p.country(0, 2, "issuing state")
	p.m.PrimaryIdentifier, p.m.SecondaryIdentifier = p.name(0, 5, n)
	switch f {
	case TD2:
		// Part 6 allows a number longer than 9 characters to continue in
		// the optional data, as on a TD1.
		p.m.DocumentNumber, p.m.OptionalData = p.documentNumber(1, 0, 28, 35)
	case TD3:
		p.m.DocumentNumber, _ = p.documentNumber(1, 0, 0, 0)
	default: // visas: optional data runs to the end of the line
		p.m.DocumentNumber, _ = p.documentNumber(1, 0, 0, 0)
		p.m.OptionalData = trimFiller(p.field(1, 28, n))
	}
	p.m.Nationality = p.country(1, 10, "nationality")
	p.m.BirthDate = p.birthDate(1, 13)
	p.m.Sex = p.sex(1, 20)
	p.m.Expiry = p.expiry(1, 21)
	switch f {
	case TD3:
		personal := p.field(1, 28, 42)
		p.m.OptionalData = trimFiller(personal)
		// Part 4: when the personal number is all fillers its check digit
		// may be '<' (or '0').
		p.checkDigit(personal, 1, 42, "personal number check digit", trimFiller(personal) == "")
		p.checkDigit(p.field(1, 0, 10)+p.field(1, 13, 20)+p.field(1, 21, 43), 1, 43, "composite check digit", false)
	case TD2:
		p.checkDigit(p.field(1, 0, 10)+p.field(1, 13, 20)+p.field(1, 21, 35), 1, 35, "composite check digit", false)
	}
}

// documentCode reads columns 1-2 of the first line. ICAO 9303 reserves P for
// passports (part 4), A, C and I for TD1/TD2 official travel documents
// (parts 5 and 6) and V for visas (part 7).
func (p *mrzParser) documentCode(line int) {
	code := p.field(line, 0, 2)
	c := code[0]
	var ok bool
	switch p.m.Format {
	case TD3:
		ok = c == 'P'
	case TD1, TD2:
		ok = c == 'A' || c == 'C' || c == 'I'
	case MRVA, MRVB:
		ok = c == 'V'
	}
	if !ok {
		want := map[Format]string{TD3: "P", TD1: "A, C or I", TD2: "A, C or I", MRVA: "V", MRVB: "V"}[p.m.Format]
		p.fail(line, 0, 1, "document code", fmt.Sprintf("%q does not start with %s as a %s must", code, want, p.m.Format), ErrFormat)
	}
	if code[1] >= '0' && code[1] <= '9' {
		p.fail(line, 1, 2, "document code", fmt.Sprintf("%q has a digit as its second character", code), ErrFormat)
	}
	p.m.DocumentCode = trimFiller(code)
}

// country reads a three-character state code at line[start:start+3].
func (p *mrzParser) country(line, start int, field string) string {
	raw := p.field(line, start, start+3)
	if err := checkCountry(raw); err != nil {
		p.fail(line, start, start+3, field, fmt.Sprintf("%q %s", raw, err.reason), err.sentinel)
	}
	return trimFiller(raw)
}

// documentNumber reads the 9-character number at line[start:start+9] and
// its check digit. When the check digit position holds '<' and optStart <
// optEnd, the number continues in line[optStart:optEnd] (parts 5 and 6,
// the notes on document numbers longer than 9 characters; worked example
// in part 11, appendix D.2): the remaining characters, then the check
// digit over the whole number, then a filler. It returns the number and
// the optional data that follows any extension.
func (p *mrzParser) documentNumber(line, start, optStart, optEnd int) (number, optional string) {
	head := p.field(line, start, start+9)
	cd := p.lines[line][start+9]
	if optStart < optEnd {
		optional = p.field(line, optStart, optEnd)
	}
	if cd == '<' && optStart < optEnd && !strings.Contains(head, "<") {
		ext, rest, found := strings.Cut(optional, "<")
		if !found || len(ext) < 2 {
			p.fail(line, optStart, optEnd, "document number", "continues in the optional data without its check digit and filler", ErrFormat)
			return head, trimFiller(optional)
		}
		number = head + ext[:len(ext)-1]
		p.checkDigitAt(number, ext[len(ext)-1], line, optStart+len(ext)-1, "document number check digit", false)
		return number, trimFiller(rest)
	}
	number = trimFiller(head)
	if number == "" {
		p.fail(line, start, start+9, "document number", "is empty", ErrFormat)
	}
	p.checkDigit(head, line, start+9, "document number check digit", false)
	return number, trimFiller(optional)
}

// checkDigit verifies the check digit at line[col] over data. allowFiller
// accepts '<' there (personal numbers that are all fillers).
func (p *mrzParser) checkDigit(data string, line, col int, field string, allowFiller bool) {
	p.checkDigitAt(data, p.lines[line][col], line, col, field, allowFiller)
}

func (p *mrzParser) checkDigitAt(data string, got byte, line, col int, field string, allowFiller bool) {
	if allowFiller && got == '<' {
		return
	}
	want, err := MRZCheckDigit(data)
	if err != nil { // lines were screened for the character set already
		p.fail(line, col, col+1, field, err.Error(), ErrFormat)
		return
	}
	if got < '0' || got > '9' {
		p.fail(line, col, col+1, field, fmt.Sprintf("is %q, not a digit (want %q)", string(got), string(want)), ErrFormat)
		return
	}
	if got != want {
		p.fail(line, col, col+1, field, fmt.Sprintf("is %q, want %q", string(got), string(want)), ErrCheckDigit)
	}
}

// sex reads the sex at line[col]: M, F, or '<' for unspecified. 'X' is not
// in ICAO 9303 part 4 for the MRZ but some issuers print it; both read "X".
func (p *mrzParser) sex(line, col int) string {
	switch c := p.lines[line][col]; c {
	case 'M', 'F':
		return string(c)
	case '<', 'X':
		return "X"
	default:
		p.fail(line, col, col+1, "sex", fmt.Sprintf("is %q, want M, F or < (unspecified)", string(c)), ErrFormat)
		return ""
	}
}

// name splits line[start:end] into primary and secondary identifiers at the
// first "<<" and turns the remaining fillers into single spaces.
func (p *mrzParser) name(line, start, end int) (primary, secondary string) {
	raw := trimFiller(p.field(line, start, end))
	if raw == "" {
		p.fail(line, start, end, "name", "is empty", ErrFormat)
		return "", ""
	}
	if raw[0] == '<' {
		p.fail(line, start, start+1, "name", "starts with a filler, want the primary identifier", ErrFormat)
	}
	pri, sec, _ := strings.Cut(raw, "<<")
	return fillersToSpaces(pri), fillersToSpaces(sec)
}

// fillersToSpaces turns runs of '<' into single spaces.
func fillersToSpaces(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '<' }), " ")
}
