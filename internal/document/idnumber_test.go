package document

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// idNumber completes a 17-digit body with its check character, as a
// document generator would.
func idNumber(t testing.TB, body string) string {
	t.Helper()
	c, err := IDCheckChar(body)
	if err != nil {
		t.Fatalf("IDCheckChar(%q): %v", body, err)
	}
	return body + string(c)
}

func TestIDCheckChar(t *testing.T) {
	tests := []struct {
		body string
		want byte
	}{
		{"11010519491231002", 'X'}, // GB 11643-1999 example
		{"44052418800101001", '4'}, // GB 11643-1999 example
		{"00000000000000000", '1'}, // sum 0: (12 - 0) mod 11
	}
	for _, tt := range tests {
		got, err := IDCheckChar(tt.body)
		if err != nil || got != tt.want {
			t.Errorf("IDCheckChar(%q) = %q, %v; want %q", tt.body, got, err, tt.want)
		}
	}
	for _, body := range []string{"", "1101051949123100", "110105194912310021", "1101051949123100A"} {
		if _, err := IDCheckChar(body); !errors.Is(err, ErrFormat) {
			t.Errorf("IDCheckChar(%q) error = %v, want ErrFormat", body, err)
		}
	}
}

func TestParseIDNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *IDNumber
	}{
		{"standard example", specimenIDNumber, &IDNumber{Number: specimenIDNumber, Region: "110105", Province: "Beijing", BirthDate: Date{1949, 12, 31}, Sex: "F"}},
		{"lower-case x", " 11010519491231002x\n", &IDNumber{Number: specimenIDNumber, Region: "110105", Province: "Beijing", BirthDate: Date{1949, 12, 31}, Sex: "F"}},
		{"male", idNumber(t, "44030520000229123"), &IDNumber{Number: idNumber(t, "44030520000229123"), Region: "440305", Province: "Guangdong", BirthDate: Date{2000, 2, 29}, Sex: "M"}},
		{"Hong Kong residence permit", idNumber(t, "81000019900101001"), &IDNumber{Number: idNumber(t, "81000019900101001"), Region: "810000", Province: "Hong Kong", BirthDate: Date{1990, 1, 1}, Sex: "M"}},
		{"Taiwan residence permit", idNumber(t, "83000019851231002"), &IDNumber{Number: idNumber(t, "83000019851231002"), Region: "830000", Province: "Taiwan (residence permit)", BirthDate: Date{1985, 12, 31}, Sex: "F"}},
		{"born today", idNumber(t, "65010220260315001"), &IDNumber{Number: idNumber(t, "65010220260315001"), Region: "650102", Province: "Xinjiang", BirthDate: Date{2026, 3, 15}, Sex: "M"}},
		{"born 1900", idNumber(t, "33010219000101002"), &IDNumber{Number: idNumber(t, "33010219000101002"), Region: "330102", Province: "Zhejiang", BirthDate: Date{1900, 1, 1}, Sex: "F"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIDNumber(tt.in, testNow)
			if err != nil {
				t.Fatalf("ParseIDNumber(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseIDNumber(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseIDNumberErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     string
		sentinel error
	}{
		{"check character", "110105194912310025", `id number: check character is "5", want "X"`, ErrCheckDigit},
		{"one digit wrong", "11010519491231012X", `id number: check character is "X", want "6"`, ErrCheckDigit},
		{"too short", "1101051949123100", `id number: has 16 characters, want 18`, ErrFormat},
		{"15-digit first generation", "110105491231002", `id number: has 15 characters, want 18`, ErrFormat},
		{"letter in body", "1101051949123A002X", `id number: column 14: character "A" is not a digit`, ErrFormat},
		{"bad check character", "11010519491231002Y", `id number: column 18: check character "Y" is not a digit or X`, ErrFormat},
		{"full-width digit", "１１０１０５１９４９１２３１００", `id number: has 16 characters, want 18`, ErrFormat},
		{"unknown province", idNumber(t, "99010519491231002"), `id number: column 1: first digit is "9", which marks a foreign permanent resident card number, not a citizen identity number`, ErrDocType},
		{"province 00", idNumber(t, "00010519491231002"), `id number: columns 1-2: region code "000105" does not start with a province-level code`, ErrRegion},
		{"province 72", idNumber(t, "72010519491231002"), `id number: columns 1-2: region code "720105" does not start with a province-level code`, ErrRegion},
		{"Hong Kong with a district", idNumber(t, "81010519491231002"), `id number: columns 1-6: region code "810105": a residence permit number for Hong Kong starts with 810000`, ErrRegion},
		{"30 February", idNumber(t, "11010519490230002"), `id number: columns 7-14: birth date "19490230" is not a calendar date`, ErrDate},
		{"month 00", idNumber(t, "11010519490030002"), `id number: columns 7-14: birth date "19490030" is not a calendar date`, ErrDate},
		{"29 February 1900", idNumber(t, "11010519000229002"), `id number: columns 7-14: birth date "19000229" is not a calendar date`, ErrDate},
		{"born tomorrow", idNumber(t, "11010520260316002"), `id number: columns 7-14: birth date "20260316" is in the future`, ErrDate},
		{"standard's 1880 example", "440524188001010014", `id number: columns 7-14: birth date "18800101" is before 1900`, ErrDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIDNumber(tt.in, testNow)
			if err == nil {
				t.Fatalf("ParseIDNumber(%q) succeeded, want %q", tt.in, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("ParseIDNumber(%q) error = %q, want %q", tt.in, got, tt.want)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("ParseIDNumber(%q) error = %v, want errors.Is %v", tt.in, err, tt.sentinel)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("ParseIDNumber(%q) error is %T, want *FieldError", tt.in, err)
			}
		})
	}
}

// TestParseIDNumberEveryDigit changes each of the 17 body digits of the
// standard example in turn: the check character must catch every single
// substitution (MOD 11-2 detects all of them).
func TestParseIDNumberEveryDigit(t *testing.T) {
	for i := 0; i < 17; i++ {
		for d := byte('0'); d <= '9'; d++ {
			b := []byte(specimenIDNumber)
			if b[i] == d {
				continue
			}
			b[i] = d
			if _, err := ParseIDNumber(string(b), testNow); err == nil {
				t.Errorf("ParseIDNumber(%q) succeeded after changing digit %d", b, i+1)
			}
		}
	}
}

func TestParseIDNumberTimeZone(t *testing.T) {
	// 15 March 2026 23:30 in Beijing is still 15:30 UTC: the civil date
	// of now is taken in now's location.
	beijing := time.FixedZone("CST", 8*3600)
	in := idNumber(t, "11010520260316002")
	if _, err := ParseIDNumber(in, time.Date(2026, 3, 16, 0, 30, 0, 0, beijing)); err != nil {
		t.Errorf("born on the civil date of now in Beijing: %v", err)
	}
	if _, err := ParseIDNumber(in, time.Date(2026, 3, 15, 16, 30, 0, 0, time.UTC)); !errors.Is(err, ErrDate) {
		t.Errorf("born tomorrow in UTC: got %v, want ErrDate", err)
	}
}

func BenchmarkParseIDNumber(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseIDNumber(specimenIDNumber, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
