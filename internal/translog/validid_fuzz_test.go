package translog

import (
	"regexp"
	"strings"
	"testing"
)

// idPatternRef is the regular expression that validID replaced, kept here
// as its specification. Go's $ without the m flag matches only at the end
// of the text, so a trailing newline is refused.
var idPatternRef = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// idCases are strings on every edge of the pattern: the length bounds,
// each allowed punctuation byte, the bytes next to each allowed range,
// multi-byte runes whose bytes or decoded value are near the allowed
// ones, invalid UTF-8, NUL and line ends.
var idCases = []string{
	"", "a", "Z", "0", "9", ".", "_", ":", "-",
	"rp-0123456789abcdef", "AbC.d_e:f-9", "deleted-Q2xpZW50SWQ",
	strings.Repeat("a", 127), strings.Repeat("a", 128), strings.Repeat("a", 129),
	strings.Repeat("-", 128), strings.Repeat("é", 64), strings.Repeat("a", 127) + "é",
	"/", "@", "[", "`", "{", "~", " ", "a b", ",", "+", "=", "(", ")", ";", "\\",
	"a\n", "\na", "a\r", "a\x00", "\x00", "\x7f", "\x80", "\xff", "a\xc3", "\xc3\xa9",
	"\xef\xbc\xa1", // FULLWIDTH LATIN CAPITAL LETTER A
	"\xc0\xae",     // overlong "."
	"\xe2\x80\x8b", // zero-width space
	"\u212a",       // KELVIN SIGN, which case folding would map to K
}

// FuzzValidID checks that validID accepts exactly the strings that the
// regular expression it replaced accepts.
func FuzzValidID(f *testing.F) {
	for _, s := range idCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validID(s), idPatternRef.MatchString(s); got != want {
			t.Errorf("validID(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

// TestValidIDBytes compares validID with the pattern on every single byte,
// inside an otherwise valid id and alone, so that a range off by one fails
// without fuzzing.
func TestValidIDBytes(t *testing.T) {
	for b := range 256 {
		for _, s := range []string{string([]byte{byte(b)}), "a" + string([]byte{byte(b)}) + "z"} {
			if got, want := validID(s), idPatternRef.MatchString(s); got != want {
				t.Errorf("validID(%q) = %v, the pattern says %v", s, got, want)
			}
		}
	}
}
