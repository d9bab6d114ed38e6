package phone

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		region  string
		want    string // E.164, "" when an error is expected
		wantErr string // substring of the error
	}{
		{"CN national", "13800138000", "CN", "+8613800138000", ""},
		{"CN region lower case", "13800138000", "cn", "+8613800138000", ""},
		{"CN spaces", "138 0013 8000", "CN", "+8613800138000", ""},
		{"CN hyphens", "138-0013-8000", "CN", "+8613800138000", ""},
		{"CN plus", "+86 138 0013 8000", "CN", "+8613800138000", ""},
		{"CN plus, no region", "+8613800138000", "", "+8613800138000", ""},
		{"CN 00 prefix", "0086 13800138000", "CN", "+8613800138000", ""},
		{"CN 00 prefix, no region", "008613800138000", "", "+8613800138000", ""},
		{"CN 86 without plus", "8613800138000", "CN", "+8613800138000", ""},
		{"CN parentheses", "(+86) 138-0013-8000", "CN", "+8613800138000", ""},
		{"CN full-width", "＋８６　１３８００１３８０００", "CN", "+8613800138000", ""},
		{"CN full-width parentheses and hyphen", "（＋86）138－0013－8000", "CN", "+8613800138000", ""},
		{"CN dots", "138.0013.8000", "CN", "+8613800138000", ""},
		{"CN 19x", "19912345678", "CN", "+8619912345678", ""},
		{"CN 13x lowest", "13000000000", "CN", "+8613000000000", ""},
		{"CN starts 12", "12800138000", "CN", "", "11 digits: a mainland China mobile"},
		{"CN starts 2", "23800138000", "CN", "", "mainland China mobile"},
		{"CN 10 digits", "1380013800", "CN", "", "10 digits"},
		{"CN 12 digits", "138001380001", "CN", "", "12 digits"},
		{"CN fixed line", "010 6552 9988", "CN", "", "fixed-line"},
		{"+86 fixed line", "+86 10 6552 9988", "", "", "+86 numbers must be mainland China mobile"},
		{"+86 with trunk 0", "+86 013800138000", "", "", "+86 numbers must be"},
		{"national without region", "13800138000", "", "", "international form"},
		{"national other region", "2025550123", "US", "", "international form"},
		{"US", "+1 (202) 555-0123", "US", "+12025550123", ""},
		{"US area code 1xx", "+1 102 555 0123", "", "", "+1 numbers have 10 digits"},
		{"US exchange 0xx", "+1 202 055 0123", "", "", "+1 numbers"},
		{"US short", "+1 202 555 012", "", "", "+1 numbers"},
		{"RU", "+7 912 345-67-89", "", "+79123456789", ""},
		{"RU short", "+7 912 345 67", "", "", "+7 numbers have 10 digits"},
		{"UK", "+44 7700 900123", "", "+447700900123", ""},
		{"DE 00", "0049 30 901820", "", "+4930901820", ""},
		{"HK", "+852 5123 4567", "CN", "+85251234567", ""},
		{"Niue short", "+683 4002", "", "+6834002", ""},
		{"too few national digits", "+683 400", "", "", "only 3 digits after"},
		{"15 digits", "+882 1234 5678 9012", "", "+882123456789012", ""},
		{"16 digits", "+882 1234 5678 90123", "", "", "at most 15"},
		{"unassigned code", "+259 123 456 78", "", "", "assigned country calling code"},
		{"unassigned two-digit", "+28 1234 5678", "", "", "assigned country calling code"},
		{"freephone", "+800 1234 5678", "", "", "freephone"},
		{"premium", "+979 1234 5678", "", "", "premium-rate"},
		{"code starting 0", "+0 1234 5678", "", "", "never starts with 0"},
		{"000 prefix", "000 44 7700 900123", "", "", "never starts with 0"},
		{"empty", "", "CN", "", "no digits"},
		{"only separators", " - ( ) ", "CN", "", "no digits"},
		{"only plus", "+", "CN", "", "no digits"},
		{"plus then nothing after 00", "00", "CN", "", "no digits after"},
		{"two plus", "++86 13800138000", "CN", "", "'+' is allowed only once"},
		{"plus in middle", "86+13800138000", "CN", "", "'+' is allowed only once"},
		{"letters", "138-0013-800O", "CN", "", "unexpected character at position 13"},
		{"slash", "138/0013/8000", "CN", "", "unexpected character"},
		{"invalid UTF-8", "138\xff00138000", "CN", "", "not valid UTF-8"},
		{"too long", strings.Repeat(" ", 60) + "13800138000", "CN", "", "longer than 64 bytes"},
		{"arabic-indic digits", "١٣٨٠٠١٣٨٠٠٠", "CN", "", "unexpected character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNumber(tt.in, tt.region)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseNumber(%q, %q) = %s, want error containing %q", tt.in, tt.region, n.E164(), tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidNumber) {
					t.Errorf("ParseNumber(%q) error %v does not match ErrInvalidNumber", tt.in, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseNumber(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNumber(%q, %q) error = %v, want %s", tt.in, tt.region, err, tt.want)
			}
			if got := n.E164(); got != tt.want {
				t.Errorf("ParseNumber(%q, %q) = %s, want %s", tt.in, tt.region, got, tt.want)
			}
		})
	}
}

// TestParseNumberErrorsHideInput checks that no error message quotes the
// number it refused: errors are logged, numbers are personal data.
func TestParseNumberErrorsHideInput(t *testing.T) {
	for _, in := range []string{"+86 12345678901", "+1 123 456 7890", "+259 12345678", "987654321", "+800 98765432", "+8613800138000x"} {
		_, err := ParseNumber(in, "CN")
		if err == nil {
			t.Fatalf("ParseNumber(%q) = nil error, want one", in)
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, in)
		if containsRun(err.Error(), digits, 5) {
			t.Errorf("ParseNumber(%q) error %q repeats 5 or more digits of the input", in, err)
		}
	}
}

// containsRun reports whether s contains any substring of digits of length n.
func containsRun(s, digits string, n int) bool {
	for i := 0; i+n <= len(digits); i++ {
		if strings.Contains(s, digits[i:i+n]) {
			return true
		}
	}
	return false
}

func TestNumberRedacted(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"+8613800138000", "+86 138****8000"},
		{"+12025550123", "+1 ******0123"},
		{"+4930901820", "+49 ****1820"},
		{"+6834002", "+683 **02"},
		{"+882123456789012", "+882 123*****9012"},
	}
	for _, tt := range tests {
		n, err := ParseNumber(tt.in, "")
		if err != nil {
			t.Fatalf("ParseNumber(%q) error = %v", tt.in, err)
		}
		if got := n.Redacted(); got != tt.want {
			t.Errorf("Number(%s).Redacted() = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := (Number{}).Redacted(); got != "" {
		t.Errorf("zero Number Redacted() = %q, want empty", got)
	}
}

// TestNumberNeverPrintsInFull checks every way a Number can be formatted
// or logged by accident.
func TestNumberNeverPrintsInFull(t *testing.T) {
	n, err := ParseNumber("13800138000", "CN")
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("sent", "to", n, "wrapped", struct{ N Number }{n})
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", n),
		"%s":  fmt.Sprintf("%s", n),
		"%+v": fmt.Sprintf("%+v", n),
		"%#v": fmt.Sprintf("%#v", n),
		"%d":  fmt.Sprintf("%d", n),
		"%x":  fmt.Sprintf("%x", n),
		"%q":  fmt.Sprintf("%q", n),
		"in a struct": fmt.Sprintf("%+v", struct {
			To Number
		}{n}),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "0013") || strings.Contains(out, "13800138000") {
			t.Errorf("%s printed %q, which reveals the number", name, out)
		}
	}
	if got := fmt.Sprintf("%v", n); got != "+86 138****8000" {
		t.Errorf("%%v = %q, want %q", got, "+86 138****8000")
	}
	if got, want := n.CountryCode(), "86"; got != want {
		t.Errorf("CountryCode() = %q, want %q", got, want)
	}
	if got, want := n.National(), "13800138000"; got != want {
		t.Errorf("National() = %q, want %q", got, want)
	}
}

func TestCountryCodesPrefixFree(t *testing.T) {
	all := map[string]bool{}
	for c := range countryCodes {
		all[c] = true
	}
	for c := range serviceCodes {
		if all[c] {
			t.Errorf("code %s is both assigned and a refused service code", c)
		}
		all[c] = true
	}
	for c := range all {
		if len(c) < 1 || len(c) > 3 || c[0] == '0' || !allDigits(c) {
			t.Errorf("malformed country code %q", c)
		}
		for i := 1; i < len(c); i++ {
			if all[c[:i]] {
				t.Errorf("country code %s has the code %s as prefix", c, c[:i])
			}
		}
	}
	// A few well-known codes must be there.
	for _, c := range []string{"1", "7", "44", "86", "852", "853", "886", "383", "998"} {
		if !countryCodes[c] {
			t.Errorf("country code %s missing", c)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{
		"13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "8613800138000",
		"（＋86）１３８００１３８０００", "+1 (202) 555-0123", "+447700900123", "+683 4002",
		"+800 12345678", "+0", "00", "++1", "138\xff", "+882 1234 5678 90123", "",
		"010 6552 9988", "+7 912 345 67 89", "\u00a0+\u3000852 5123 4567",
	} {
		f.Add(s, "CN")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		n, err := ParseNumber(s, region)
		if err != nil {
			if !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("ParseNumber(%q) error %v does not match ErrInvalidNumber", s, err)
			}
			if !n.IsZero() {
				t.Fatalf("ParseNumber(%q) returned a number with an error", s)
			}
			return
		}
		e := n.E164()
		if len(e) < 2 || e[0] != '+' || !allDigits(e[1:]) || len(e)-1 > maxE164Digits {
			t.Fatalf("ParseNumber(%q) = %q, not an E.164 number", s, e)
		}
		// The E.164 form is a fixed point, whatever the region.
		again, err := ParseNumber(e, "")
		if err != nil || again != n {
			t.Fatalf("ParseNumber(%q) = %q, which reparses to %q, %v", s, e, again.E164(), err)
		}
		r := n.Redacted()
		if !strings.Contains(r, "*") || strings.Contains(r, n.National()) {
			t.Fatalf("Redacted() of %q = %q, which does not hide the national number", e, r)
		}
		if n.CountryCode() == "86" && !isCNMobile(n.National()) {
			t.Fatalf("ParseNumber(%q) = %q: a +86 number that is not a mobile number", s, e)
		}
	})
}
