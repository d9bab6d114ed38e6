package document

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestDateStringAndJSON(t *testing.T) {
	tests := []struct {
		d       Date
		str, js string
	}{
		{Date{1974, time.August, 12}, "1974-08-12", `"1974-08-12"`},
		{Date{1974, time.August, 0}, "1974-08", `"1974-08"`},
		{Date{1974, 0, 0}, "1974", `"1974"`},
		{Date{}, "", `null`},
		{Date{5, time.January, 2}, "0005-01-02", `"0005-01-02"`},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.str {
			t.Errorf("%#v.String() = %q, want %q", tt.d, got, tt.str)
		}
		b, err := json.Marshal(tt.d)
		if err != nil || string(b) != tt.js {
			t.Errorf("json.Marshal(%#v) = %s, %v; want %s", tt.d, b, err, tt.js)
		}
		var back Date
		if err := json.Unmarshal(b, &back); err != nil || back != tt.d {
			t.Errorf("json.Unmarshal(%s) = %#v, %v; want %#v", b, back, err, tt.d)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, in := range []string{"1974-13-01", "1974-02-30", "1974-2-3", "19740812", "1974-08-12T00:00:00Z", "abcd", "", "0000-01-01", "1974-00-05", "+974-08-12"} {
		if d, err := ParseDate(in); !errors.Is(err, ErrDate) {
			t.Errorf("ParseDate(%q) = %v, %v; want ErrDate", in, d, err)
		}
	}
	var d Date
	if err := json.Unmarshal([]byte(`12`), &d); err == nil {
		t.Errorf("json.Unmarshal(12) into Date succeeded, want an error")
	}
}

func TestDateAgeOn(t *testing.T) {
	tests := []struct {
		birth Date
		now   time.Time
		want  int
	}{
		{Date{2012, 3, 15}, testNow, 14},
		{Date{2012, 3, 16}, testNow, 13},
		{Date{2008, 2, 29}, time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), 17},
		{Date{2008, 2, 29}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 18},
		{Date{2008, 0, 0}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 18},
	}
	for _, tt := range tests {
		if got := tt.birth.AgeOn(tt.now); got != tt.want {
			t.Errorf("%v.AgeOn(%v) = %d, want %d", tt.birth, tt.now, got, tt.want)
		}
	}
}

func TestDateCompare(t *testing.T) {
	a, b := Date{2000, 1, 2}, Date{2000, 2, 1}
	if !a.Before(b) || a.After(b) || b.Before(a) || !b.After(a) || a.Compare(a) != 0 {
		t.Errorf("comparisons of %v and %v are wrong", a, b)
	}
	if got := NewDate(time.Date(2026, 3, 16, 0, 30, 0, 0, time.FixedZone("CST", 8*3600))); got != (Date{2026, 3, 16}) {
		t.Errorf("NewDate in Beijing = %v, want 2026-03-16", got)
	}
}
