package phone

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"errors"
	"io"
	"testing"
)

// cycleReader yields 0, 1, ..., 255, 0, 1, ... forever.
type cycleReader struct{ next byte }

func (r *cycleReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// TestNewCodeUniform feeds every byte value once: the 250 accepted ones
// must give each digit exactly 25 times, which a plain byte%10 would not
// (it would give 0 to 5 26 times each).
func TestNewCodeUniform(t *testing.T) {
	code, err := newCode(&cycleReader{}, 250)
	if err != nil {
		t.Fatal(err)
	}
	var counts [10]int
	for _, c := range []byte(code) {
		counts[c-'0']++
	}
	for d, n := range counts {
		if n != 25 {
			t.Errorf("digit %d drawn %d times from bytes 0..249, want 25", d, n)
		}
	}
	// The next digits come from bytes 0.. again: 250..255 were skipped.
	r := &cycleReader{next: 250}
	code, err = newCode(r, 6)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := code, "012345"; got != want {
		t.Errorf("newCode after bytes 250..255 = %q, want %q", got, want)
	}
}

func TestNewCodeReadError(t *testing.T) {
	_, err := newCode(io.LimitReader(&cycleReader{}, 3), 6)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("newCode(short reader) = %v, want ErrUnexpectedEOF", err)
	}
	// Only rejected bytes: the reader runs dry instead of looping forever.
	_, err = newCode(bytes.NewReader(bytes.Repeat([]byte{255}, 100)), 6)
	if err == nil {
		t.Errorf("newCode(only 0xff) = nil error, want a read error")
	}
}

func TestNormaliseCode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"123456", "123456", true},
		{" 123 456 ", "123456", true},
		{"123-456", "123456", true},
		{"１２３４５６", "123456", true},
		{"123\u3000456", "123456", true},
		{"1234567890", "1234567890", true},
		{"12345", "", false},
		{"12345678901", "", false},
		{"12345a", "", false},
		{"+123456", "", false},
		{"", "", false},
		{string(bytes.Repeat([]byte(" "), 200)) + "123456", "", false},
	}
	for _, tt := range tests {
		got, ok := normaliseCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normaliseCode(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCodeHashSeparation(t *testing.T) {
	k := deriveKeys(hmacSHA256, testKey)
	base := k.codeHash("ab", "c", "123456")
	for _, other := range [][3]string{
		{"a", "bc", "123456"}, // field boundaries are encoded
		{"ab", "c", "123457"},
		{"ab", "d", "123456"},
		{"ac", "c", "123456"},
	} {
		if bytes.Equal(base, k.codeHash(other[0], other[1], other[2])) {
			t.Errorf("codeHash(ab, c, 123456) = codeHash%q", other)
		}
	}
	if !bytes.Equal(base, k.codeHash("ab", "c", "123456")) {
		t.Errorf("codeHash is not deterministic")
	}
	if hmac.Equal(k.code, k.index) {
		t.Errorf("code and index keys are equal")
	}
}

func TestWithMAC(t *testing.T) {
	sha512mac := func(key, msg []byte) []byte {
		m := hmac.New(sha512.New, key)
		m.Write(msg)
		return m.Sum(nil)[:32]
	}
	a := newFixture(t)
	b := newFixture(t, WithMAC(sha512mac))
	n := mustNumber(t, "13800138000")
	a.send(t, "enrol", "x", n)
	code := b.send(t, "enrol", "x", n)
	ca, _ := a.store.challenge("x", "enrol")
	cb, _ := b.store.challenge("x", "enrol")
	if bytes.Equal(ca.NumberIndex, cb.NumberIndex) {
		t.Errorf("WithMAC did not change the blind index")
	}
	if err := b.v.Verify(context.Background(), "enrol", "x", code); err != nil {
		t.Errorf("Verify() with a custom MAC = %v, want nil", err)
	}
}
