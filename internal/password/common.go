package password

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"
)

// commonLists are the frequency lists of github.com/trustelem/zxcvbn (MIT),
// a Go port of Dropbox's zxcvbn 4.4.2 that carries its ranked word lists
// as Go data: the 30,000 most frequent passwords of a corpus of leaked
// passwords ("passwords"), the 30,000 most frequent words of English
// Wikipedia and of US film and television subtitles, and US census first
// names and surnames. NIST SP 800-63B names passwords from breach corpuses
// and dictionary words as what a blocklist should contain; a single common
// word, with or without a few digits, is guessed in the first few
// hundred thousand attempts.
//
// zxcvbn keeps each word only in the list where it ranks best, so a word
// that is both a common password and a common English word may be in
// either: using all the lists is what makes the password list complete.
var commonLists = []string{"passwords", "english_wikipedia", "us_tv_and_film", "surnames", "male_names", "female_names"}

// minCommonRunes: entries shorter than this are left out. A password is at
// least 8 characters, and a decoration that does not save a password
// weighs at most maxPredictable (4), so no refused password has a core of
// fewer than 4 characters.
const minCommonRunes = 8 - maxPredictable

// commonWords is the blocklist, built on first use (the first Policy.Check)
// rather than at program start: logins never need it. About 93,600
// entries; the strings themselves are shared with the dependency's lists.
var commonWords = sync.OnceValue(buildCommonWords)

func buildCommonWords() map[string]struct{} {
	set := make(map[string]struct{}, 100000)
	for _, name := range commonLists {
		for _, w := range frequency.FrequencyLists[name] {
			w = strings.ToLower(norm.NFKC.String(w))
			if utf8.RuneCountInString(w) >= minCommonRunes {
				set[w] = struct{}{}
			}
		}
	}
	return set
}

// isCommon reports whether s (normalised and lowercased) is on the
// blocklist, or is an entry decorated only with a predictable prefix or
// suffix of non-letters ("Password1!", "2024dragon2024"): the first
// mangling rules every cracker applies.
func isCommon(s []rune) bool {
	words := commonWords()
	if _, ok := words[string(s)]; ok {
		return true
	}
	if compact := removeSpaces(s); len(compact) != len(s) {
		if _, ok := words[string(compact)]; ok {
			return true
		}
	}
	start, end := 0, len(s)
	for start < end && !unicode.IsLetter(s[start]) {
		start++
	}
	for end > start && !unicode.IsLetter(s[end-1]) {
		end--
	}
	if start == 0 && end == len(s) {
		return false
	}
	if _, ok := words[string(s[start:end])]; !ok {
		return false
	}
	return weight(s[:start])+weight(s[end:]) <= maxPredictable
}
