package password

import (
	"testing"

	"github.com/trustelem/zxcvbn/frequency"
)

// The blocklist must cover at least the 10,000 most common passwords; the
// dependency ships 30,000, and the other lists add common words and names.
func TestCommonListSize(t *testing.T) {
	if n := len(frequency.FrequencyLists["passwords"]); n < 10000 {
		t.Fatalf("the dependency's password list has %d entries, want at least 10,000", n)
	}
	for _, name := range commonLists {
		if len(frequency.FrequencyLists[name]) == 0 {
			t.Errorf("the dependency has no list %q", name)
		}
	}
	if n := len(commonWords()); n < 50000 {
		t.Errorf("blocklist has %d entries, want at least 50,000", n)
	}
}

func TestCommonListContents(t *testing.T) {
	tests := []struct {
		word string
		want bool
	}{
		// Top of the breach corpus.
		{"password", true},
		{"12345678", true},
		{"iloveyou", true},
		{"trustno1", true},
		{"1qaz2wsx", true},
		// Common words and names, where zxcvbn put them.
		{"elephant", true},
		{"jennifer", true},
		{"washington", true},
		// Short entries are useless against an 8-character minimum and
		// are left out.
		{"abc", false},
		// Not common.
		{"q7rm2xlp", false},
		{"quixotic marmalade", false},
	}
	words := commonWords()
	for _, tt := range tests {
		if _, got := words[tt.word]; got != tt.want {
			t.Errorf("blocklist contains %q = %v, want %v", tt.word, got, tt.want)
		}
	}
}

func TestIsCommon(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"password", true},
		{"password1", true},
		{"password1!", true},
		{"!!password", true},
		{"password12345678", true}, // a sequence weighs 1
		{"i love you", true},
		{"dragon2024", true},
		{"dragon7#%2", true},   // decoration weighs 4
		{"dragon7#%2!", false}, // decoration weighs 5
		{"password is my secret", false},
		{"correcthorse", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isCommon([]rune(tt.s)); got != tt.want {
			t.Errorf("isCommon(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
