package password

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// maxPredictable is the most "weight" (see weight) that a password, or
// what a password adds to a common word or to the resident's own details,
// may have and still be refused. Four unpredictable characters are what a
// guesser enumerates in seconds offline; five and more start to count.
const maxPredictable = 4

// weight counts the characters of s that a guesser cannot predict from the
// one before: a character is predictable when it repeats the previous one
// ("aaaa"), is its neighbour in code point order ("abcd", "4321", "abab"),
// continues the previous step ("acegi", "13579"), or continues a digit
// run past 9 or 0 ("7890", "3210987"). Random text of n characters weighs about n; "aaaaaaaa",
// "12345678" and "abcdefgh" weigh 1, "1234abcd" weighs 2.
//
// This is deliberately cruder than an entropy estimate such as zxcvbn's: it
// refuses only the patterns NIST SP 800-63B names (repetitive and
// sequential characters), and never asks for a character class.
func weight(s []rune) int {
	w := 0
	var prevStep rune
	for i, r := range s {
		if i == 0 {
			w++
			continue
		}
		step := r - s[i-1]
		switch {
		case step >= -1 && step <= 1,
			i >= 2 && step == prevStep,
			// A digit run wraps ("7890", "2109"), but a date's "1990"
			// does not run into its 0.
			i >= 2 && prevStep == 1 && s[i-1] == '9' && r == '0',
			i >= 2 && prevStep == -1 && s[i-1] == '0' && r == '9':
		default:
			w++
		}
		prevStep = step
	}
	return w
}

// repetitionUnit returns the shortest u such that s is u repeated k times,
// and k (1 when s is not a repetition).
func repetitionUnit(s []rune) ([]rune, int) {
	n := len(s)
	for size := 1; size <= n/2; size++ {
		if n%size != 0 {
			continue
		}
		repeats := true
		for i := size; i < n; i++ {
			if s[i] != s[i-size] {
				repeats = false
				break
			}
		}
		if repeats {
			return s[:size], n / size
		}
	}
	return s, 1
}

// dominatedBy reports whether password (normalised, lowercased, spaces and
// separators removed) contains token and what remains once every
// occurrence is removed weighs at most maxPredictable: "zhangwei1990",
// "13812345678!", "wei.zhang.88".
func dominatedBy(password, token []rune) bool {
	if len(token) == 0 || len(token) > len(password) {
		return false
	}
	found, rest := false, 0
	seg := 0
	for i := 0; i+len(token) <= len(password); {
		if slices.Equal(password[i:i+len(token)], token) {
			found = true
			rest += weight(password[seg:i])
			i += len(token)
			seg = i
			continue
		}
		i++
	}
	if !found {
		return false
	}
	rest += weight(password[seg:])
	return rest <= maxPredictable
}

// contextTokens returns the forms of one context value (an internet
// number, a phone number, a name, an e-mail address) that a password must
// not be built on: the whole value with everything but letters and digits
// removed ("+86 138-1234-5678" gives "8613812345678", "Zhang Wei" gives
// "zhangwei"), and each run of letters and digits of at least 2 characters
// ("zhang", "wei", "138", "1234"). Two characters are enough because many
// Chinese given names are one or two characters long; short tokens only
// refuse passwords that add almost nothing to them.
func contextTokens(value string) [][]rune {
	v := []rune(strings.ToLower(norm.NFKC.String(value)))
	var tokens [][]rune
	var whole, part []rune
	flush := func() {
		if len(part) >= 2 {
			tokens = append(tokens, part)
		}
		part = nil
	}
	for _, r := range v {
		if isAlnum(r) {
			whole = append(whole, r)
			part = append(part, r)
			continue
		}
		flush()
	}
	flush()
	if len(whole) >= 2 && (len(tokens) != 1 || !slices.Equal(tokens[0], whole)) {
		tokens = append(tokens, whole)
	}
	return tokens
}

// compactPassword removes spaces and the separators people put between
// words or digit groups ('-', '.', '_'), so that "zhang wei 1990" and
// "138-1234-5678" are compared as written without them.
func compactPassword(s []rune) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || r == '-' || r == '.' || r == '_' {
			continue
		}
		out = append(out, r)
	}
	return out
}

func removeSpaces(s []rune) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if !unicode.IsSpace(r) {
			out = append(out, r)
		}
	}
	return out
}

// isAlnum reports whether r belongs to a word or a number: a letter, a
// digit, or a combining mark (lowercasing "İ" gives "i" and a combining
// dot, which belong together).
func isAlnum(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
