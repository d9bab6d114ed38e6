package testdoc

import (
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/document"
)

func TestResidentIDNumber(t *testing.T) {
	for _, tc := range []struct {
		name   string
		region string
		birth  document.Date
		sex    string
		seq    int
		want   string
	}{
		// The example number of GB 11643-1999 itself, check character X.
		{"standard's example", "110105", document.Date{Year: 1949, Month: 12, Day: 31}, "F", 0, "11010519491231002X"},
		{"first man of the day", "110105", document.Date{Year: 1949, Month: 12, Day: 31}, "M", 0, "110105194912310011"},
		{"last sequence", "440305", document.Date{Year: 2016, Month: 2, Day: 29}, "M", MaxResidentSeq - 1, "44030520160229997X"},
		{"Hong Kong residence permit", "810000", document.Date{Year: 2000, Month: 1, Day: 1}, "F", 10, "810000200001010225"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResidentIDNumber(tc.region, tc.birth, tc.sex, tc.seq)
			if err != nil || got != tc.want {
				t.Fatalf("ResidentIDNumber = %q, %v, want %q", got, err, tc.want)
			}
		})
	}
}

// TestResidentIDNumberAgainstParser cross-checks the generator with package
// document's independent parser over many birth dates, sexes and
// sequences.
func TestResidentIDNumberAgainstParser(t *testing.T) {
	day := time.Date(1930, time.January, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		birth := document.NewDate(day.AddDate(0, 0, i*17))
		sex := []string{"M", "F"}[i%2]
		seq := i % MaxResidentSeq
		region := []string{"110105", "310104", "440305", "650102", "820000"}[i%5]
		n, err := ResidentIDNumber(region, birth, sex, seq)
		if err != nil {
			t.Fatalf("ResidentIDNumber(%s, %v, %s, %d): %v", region, birth, sex, seq, err)
		}
		got, err := document.ParseIDNumber(n, fixedNow)
		if err != nil {
			t.Fatalf("ParseIDNumber(%q): %v", n, err)
		}
		if got.BirthDate != birth || got.Sex != sex || got.Region != region {
			t.Fatalf("ParseIDNumber(%q) = %v %s %s, want %v %s %s", n, got.BirthDate, got.Sex, got.Region, birth, sex, region)
		}
		if c, _ := document.IDCheckChar(n[:17]); c != n[17] {
			t.Fatalf("%q: document.IDCheckChar says %q", n, c)
		}
	}
}

func TestResidentIDNumberErrors(t *testing.T) {
	birth := document.Date{Year: 1990, Month: 1, Day: 1}
	for _, tc := range []struct {
		name   string
		region string
		birth  document.Date
		sex    string
		seq    int
	}{
		{"short region", "11010", birth, "M", 0},
		{"region with a letter", "11010A", birth, "M", 0},
		{"unknown province", "990000", birth, "M", 0},
		{"incomplete birth date", "110105", document.Date{Year: 1990}, "M", 0},
		{"impossible birth date", "110105", document.Date{Year: 1990, Month: 2, Day: 30}, "M", 0},
		{"birth before 1900", "110105", document.Date{Year: 1899, Month: 12, Day: 31}, "M", 0},
		{"sex X", "110105", birth, "X", 0},
		{"negative sequence", "110105", birth, "F", -1},
		{"sequence too large", "110105", birth, "F", MaxResidentSeq},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResidentIDNumber(tc.region, tc.birth, tc.sex, tc.seq)
			if !errors.Is(err, ErrSpec) {
				t.Errorf("ResidentIDNumber = %q, %v, want an error wrapping ErrSpec", got, err)
			}
		})
	}
}
