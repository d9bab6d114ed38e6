package document

import (
	"fmt"
	"time"
)

// birthDate reads a YYMMDD birth date at line[col:col+6] and its check digit
// at col+6. ICAO 9303 part 3 lets an issuer who does not know the day, or
// the month and day, or the whole date, put fillers there; the resulting
// Date has those parts zero.
func (p *mrzParser) birthDate(line, col int) Date {
	raw := p.field(line, col, col+6)
	p.checkDigit(raw, line, col+6, "birth date check digit", false)
	var yy, mm, dd int
	var err error
	bad := func() Date {
		p.fail(line, col, col+6, "birth date", fmt.Sprintf("%q is not a date YYMMDD", raw), ErrDate)
		return Date{}
	}
	switch {
	case raw == "<<<<<<":
		return Date{}
	case raw[2:] == "<<<<":
		yy, err = atoiDigits(raw[:2])
	case raw[4:] == "<<":
		if yy, err = atoiDigits(raw[:2]); err == nil {
			mm, err = atoiDigits(raw[2:4])
		}
	default:
		if yy, err = atoiDigits(raw[:2]); err == nil {
			if mm, err = atoiDigits(raw[2:4]); err == nil {
				dd, err = atoiDigits(raw[4:])
			}
		}
	}
	// A known month or day is never 00; unknown parts are fillers.
	if err != nil || mm > 12 || raw[2:4] == "00" || raw[4:] == "00" {
		return bad()
	}
	d, ok := resolveBirthYear(yy, time.Month(mm), dd, p.now)
	if !ok {
		p.fail(line, col, col+6, "birth date", fmt.Sprintf("%q is not a calendar date", raw), ErrDate)
	}
	return d
}

// expiry reads a YYMMDD expiry date at line[col:col+6] and its check digit.
func (p *mrzParser) expiry(line, col int) Date {
	raw := p.field(line, col, col+6)
	p.checkDigit(raw, line, col+6, "expiry date check digit", false)
	yy, err1 := atoiDigits(raw[:2])
	mm, err2 := atoiDigits(raw[2:4])
	dd, err3 := atoiDigits(raw[4:])
	if err1 != nil || err2 != nil || err3 != nil {
		p.fail(line, col, col+6, "expiry date", fmt.Sprintf("%q is not a date YYMMDD", raw), ErrDate)
		return Date{}
	}
	d := Date{Year: resolveExpiryYear(yy, p.now), Month: time.Month(mm), Day: dd}
	if mm < 1 || dd < 1 || !d.valid() {
		p.fail(line, col, col+6, "expiry date", fmt.Sprintf("%q is not a calendar date", raw), ErrDate)
		return Date{}
	}
	return d
}

// resolveBirthYear gives a two-digit birth year its century: the latest one
// that does not put the date after the civil date of now. Month and day may
// be zero (unknown); they then compare as the earliest possible, so a year
// is kept whenever some date in it is not in the future. ok is false if the
// date does not exist (29 February of a common year, 31 April).
func resolveBirthYear(yy int, m time.Month, day int, now time.Time) (d Date, ok bool) {
	today := NewDate(now)
	d = Date{Year: today.Year/100*100 + yy, Month: m, Day: day}
	if d.After(today) {
		d.Year -= 100
	}
	return d, d.valid()
}

// resolveExpiryYear gives a two-digit expiry year its century: the year
// within 50 years of now's year, from now-50 to now+49. Documents are valid
// for at most a few decades, and an expired document read today may have
// expired long ago, hence the symmetric window.
func resolveExpiryYear(yy int, now time.Time) int {
	ny := now.Year()
	y := ny/100*100 + yy
	switch {
	case y > ny+49:
		y -= 100
	case y < ny-50:
		y += 100
	}
	return y
}
