package credential

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestNewInternetNumberRoundTrip(t *testing.T) {
	seen := map[InternetNumber]bool{}
	for i := 0; i < 2000; i++ {
		n, err := NewInternetNumber(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(n) != 10 {
			t.Fatalf("len(%q) = %d, want 10", n, len(n))
		}
		got, err := ParseInternetNumber(n.Display())
		if err != nil || got != n {
			t.Fatalf("ParseInternetNumber(%q) = %q, %v; want %q", n.Display(), got, err, n)
		}
		if seen[n] {
			t.Fatalf("duplicate number %q in 2000 draws", n)
		}
		seen[n] = true
	}
}

// The check character must catch every single substitution and every
// adjacent transposition: exhaustively over many numbers.
func TestCheckCatchesTypos(t *testing.T) {
	for i := 0; i < 200; i++ {
		n, err := NewInternetNumber(nil)
		if err != nil {
			t.Fatal(err)
		}
		s := []byte(n)
		for pos := 0; pos < len(s); pos++ {
			for _, c := range []byte(crockford) {
				if c == s[pos] {
					continue
				}
				typo := bytes.Clone(s)
				typo[pos] = c
				if _, err := ParseInternetNumber(string(typo)); !errors.Is(err, ErrNumberCheck) {
					t.Fatalf("substitution %q -> %q: err = %v, want ErrNumberCheck", s, typo, err)
				}
			}
			if pos+1 < len(s) && s[pos] != s[pos+1] {
				swap := bytes.Clone(s)
				swap[pos], swap[pos+1] = swap[pos+1], swap[pos]
				if _, err := ParseInternetNumber(string(swap)); !errors.Is(err, ErrNumberCheck) {
					t.Fatalf("transposition %q -> %q: err = %v, want ErrNumberCheck", s, swap, err)
				}
			}
		}
	}
}

func TestParseInternetNumber(t *testing.T) {
	// A fixed number from a fixed "random" source.
	n, err := NewInternetNumber(bytes.NewReader([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(n), "012345678") {
		t.Fatalf("number = %q, want prefix 012345678", n)
	}
	lowerO := strings.ToLower(strings.Replace(string(n), "0", "o", 1))
	tests := []struct {
		name    string
		in      string
		want    InternetNumber
		wantErr error
	}{
		{"canonical", string(n), n, nil},
		{"grouped", n.Display(), n, nil},
		{"spaces and lower case with o for 0", " " + lowerO[:3] + " " + lowerO[3:] + " ", n, nil},
		{"too short", string(n[:9]), "", ErrNumberLength},
		{"too long", string(n) + "0", "", ErrNumberLength},
		{"forbidden letter U", "U" + string(n[1:]), "", ErrNumberCharacter},
		{"punctuation", string(n[:9]) + "!", "", ErrNumberCharacter},
		{"empty", "", "", ErrNumberLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInternetNumber(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseInternetNumber(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNewInternetNumberShortRead(t *testing.T) {
	if _, err := NewInternetNumber(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Fatal("NewInternetNumber with a short random source succeeded, want error")
	}
}

func FuzzParseInternetNumber(f *testing.F) {
	for _, s := range []string{"0123456789", "ABCDE-FGHJK", "oiL12-34567", "", "UUUUUUUUUU"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseInternetNumber(s)
		if err != nil {
			return
		}
		// Whatever parses is canonical and parses to itself.
		again, err := ParseInternetNumber(string(n))
		if err != nil || again != n {
			t.Fatalf("canonical %q does not round-trip: %q, %v", n, again, err)
		}
	})
}

func BenchmarkNewInternetNumber(b *testing.B) {
	for b.Loop() {
		if _, err := NewInternetNumber(nil); err != nil {
			b.Fatal(err)
		}
	}
}
