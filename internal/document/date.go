package document

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Date is a civil (calendar) date without a time of day or a time zone, as
// printed on identity documents. Month and Day may be zero in a birth date
// read from an MRZ whose issuer did not know them (ICAO 9303 part 3 fills
// unknown parts with '<'); such a date renders in reduced ISO 8601 precision
// ("1974" or "1974-08"). The zero Date means "unknown" and renders as "".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the civil date of t in t's location.
func NewDate(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses "YYYY-MM-DD" (also "YYYY-MM" and "YYYY" for partially
// unknown dates) and checks that the date exists in the calendar.
func ParseDate(s string) (Date, error) {
	var d Date
	var err error
	switch len(s) {
	case 10:
		if s[4] != '-' || s[7] != '-' {
			return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, ErrDate)
		}
		if d.Day, err = atoiDigits(s[8:10]); err != nil {
			return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, ErrDate)
		}
		fallthrough
	case 7:
		if s[4] != '-' {
			return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, ErrDate)
		}
		m, err := atoiDigits(s[5:7])
		if err != nil {
			return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, ErrDate)
		}
		d.Month = time.Month(m)
		fallthrough
	case 4:
		if d.Year, err = atoiDigits(s[0:4]); err != nil {
			return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, ErrDate)
		}
	default:
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, ErrDate)
	}
	if !d.valid() {
		return Date{}, fmt.Errorf("date %q is not a calendar date: %w", s, ErrDate)
	}
	return d, nil
}

// atoiDigits parses a string of ASCII digits only (no sign, no spaces).
func atoiDigits(s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

// IsZero reports whether d is the zero (unknown) date.
func (d Date) IsZero() bool { return d == Date{} }

// Complete reports whether year, month and day are all known.
func (d Date) Complete() bool { return d.Year > 0 && d.Month > 0 && d.Day > 0 }

// valid reports whether d exists in the proleptic Gregorian calendar,
// allowing an unknown day, or an unknown month and day.
func (d Date) valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 0 || d.Month > 12 || d.Day < 0 {
		return false
	}
	if d.Month == 0 {
		return d.Day == 0
	}
	if d.Day == 0 {
		return true
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String renders d as "YYYY-MM-DD", with reduced precision for partially
// unknown dates and "" for the zero date.
func (d Date) String() string {
	switch {
	case d.IsZero():
		return ""
	case d.Month == 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%04d-%02d", d.Year, int(d.Month))
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e. Unknown
// parts compare as zero, that is before any known month or day.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return sign(d.Year - e.Year)
	case d.Month != e.Month:
		return sign(int(d.Month) - int(e.Month))
	}
	return sign(d.Day - e.Day)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is strictly after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AgeOn returns the age in whole years, on the civil date of now, of a person
// born on d. A person born on 29 February becomes a year older on 1 March in
// common years. An unknown month or day counts as the earliest possible
// (1 January), which is the generous reading.
func (d Date) AgeOn(now time.Time) int {
	today := NewDate(now)
	age := today.Year - d.Year
	birthday := Date{Year: today.Year, Month: max(d.Month, 1), Day: max(d.Day, 1)}
	if today.Before(birthday) {
		age--
	}
	return age
}

// MarshalJSON renders d as a JSON string "YYYY-MM-DD", or null when zero.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON accepts what MarshalJSON produces.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
