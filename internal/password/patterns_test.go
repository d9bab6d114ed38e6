package password

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWeight(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"a", 1},
		{"aaaaaaaa", 1},
		{"12345678", 1},
		{"87654321", 1},
		{"abcdefgh", 1},
		{"abababab", 1},
		{"1234abcd", 2},
		{"13579", 2},
		{"acegikmo", 2},
		{"7890123", 1},
		{"3210987", 1},
		{"1990", 3},
		{"19900101", 3},
		{"q7rm2xlp", 8},
		{"password", 7},
		{"😀😁😂😃", 1},
	}
	for _, tt := range tests {
		if got := weight([]rune(tt.s)); got != tt.want {
			t.Errorf("weight(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestRepetitionUnit(t *testing.T) {
	tests := []struct {
		s, unit string
		k       int
	}{
		{"", "", 1},
		{"a", "a", 1},
		{"aaaa", "a", 4},
		{"abab", "ab", 2},
		{"abcabcabc", "abc", 3},
		{"abcabcab", "abcabcab", 1},
		{"passwordpassword", "password", 2},
		{"abababab", "ab", 4},
	}
	for _, tt := range tests {
		unit, k := repetitionUnit([]rune(tt.s))
		if string(unit) != tt.unit || k != tt.k {
			t.Errorf("repetitionUnit(%q) = %q, %d, want %q, %d", tt.s, string(unit), k, tt.unit, tt.k)
		}
	}
}

func TestContextTokens(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"NX4K7P2QTR", []string{"nx4k7p2qtr"}},
		{"Zhang Wei", []string{"zhang", "wei", "zhangwei"}},
		{"+86 138-1234-5678", []string{"86", "138", "1234", "5678", "8613812345678"}},
		{"张伟", []string{"张伟"}},
		{"wei.zhang@example.org", []string{"wei", "zhang", "example", "org", "weizhangexampleorg"}},
		{"Ｚｈａｎｇ", []string{"zhang"}},
		{"a b", []string{"ab"}},
		{"", nil},
		{"!", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range contextTokens(tt.value) {
			got = append(got, string(tok))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("contextTokens(%q) mismatch (-want +got):\n%s", tt.value, diff)
		}
	}
}

func TestDominatedBy(t *testing.T) {
	tests := []struct {
		password, token string
		want            bool
	}{
		{"zhangwei", "zhangwei", true},
		{"zhangwei1990", "zhangwei", true},
		{"1990zhangwei!", "zhangwei", true},
		{"zhangweizhangwei", "zhangwei", true},
		{"wei12345678", "wei", true},
		{"weightliftingchampion", "wei", false},
		{"zhangweilovesdumplings", "zhangwei", false},
		{"zhang", "zhangwei", false},
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := dominatedBy([]rune(tt.password), []rune(tt.token)); got != tt.want {
			t.Errorf("dominatedBy(%q, %q) = %v, want %v", tt.password, tt.token, got, tt.want)
		}
	}
}
