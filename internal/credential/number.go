package credential

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// An InternetNumber is a resident's public account identifier: nine random
// Crockford base32 characters and a check character, ten in all. It is drawn
// from a CSPRNG and never derived from identity data, so it reveals nothing
// about its holder. The canonical form is upper case without separators;
// Display groups it for reading.
type InternetNumber string

// crockford is the Crockford base32 alphabet: digits and letters without
// I, L, O and U, so that 1/I/L and 0/O cannot be confused.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const (
	numberRandomLen = 9
	numberLen       = numberRandomLen + 1
)

// Errors returned by ParseInternetNumber.
var (
	ErrNumberLength    = errors.New("internet number: must be 10 characters")
	ErrNumberCharacter = errors.New("internet number: invalid character")
	ErrNumberCheck     = errors.New("internet number: check character does not match (typo?)")
)

// decodeSymbol maps a character to its value, accepting the substitutes
// Crockford defines for misread characters (o→0, i/l→1) in either case.
func decodeSymbol(c byte) (byte, bool) {
	switch {
	case c >= 'a' && c <= 'z':
		c -= 'a' - 'A'
	}
	switch c {
	case 'O':
		c = '0'
	case 'I', 'L':
		c = '1'
	}
	i := strings.IndexByte(crockford, c)
	if i < 0 {
		return 0, false
	}
	return byte(i), true
}

// gfMul2 multiplies v by x in GF(2^5) modulo x^5 + x^2 + 1.
func gfMul2(v byte) byte {
	v <<= 1
	if v&0x20 != 0 {
		v ^= 0x25
	}
	return v
}

// checkFold runs the Damm algorithm over the quasigroup x∘y = 2·x + y of
// GF(32). Because 2 ≠ 0, 1, the quasigroup is totally anti-symmetric, so the
// check catches every single-character substitution and every transposition
// of two adjacent different characters. A valid number folds to 0.
func checkFold(vals []byte) byte {
	var s byte
	for _, v := range vals {
		s = gfMul2(s) ^ v
	}
	return s
}

// NewInternetNumber draws a new random internet number from r (crypto/rand
// when nil). Uniqueness is the store's business: callers insert under a
// uniqueness constraint and draw again on conflict.
func NewInternetNumber(r io.Reader) (InternetNumber, error) {
	if r == nil {
		r = rand.Reader
	}
	var buf [numberRandomLen]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return "", fmt.Errorf("internet number: reading randomness: %w", err)
	}
	vals := make([]byte, numberRandomLen)
	out := make([]byte, 0, numberLen)
	for i, b := range buf {
		vals[i] = b & 31 // 256 is a multiple of 32: no modulo bias
		out = append(out, crockford[vals[i]])
	}
	out = append(out, crockford[gfMul2(checkFold(vals))])
	return InternetNumber(out), nil
}

// ParseInternetNumber accepts a number as a person types it: either case,
// with spaces or hyphens, with O for 0 and I or L for 1. It returns the
// canonical form, or an error that says what is wrong.
func ParseInternetNumber(s string) (InternetNumber, error) {
	vals := make([]byte, 0, numberLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == ' ' {
			continue
		}
		v, ok := decodeSymbol(c)
		if !ok {
			return "", fmt.Errorf("%w %q (allowed: digits and letters except U)", ErrNumberCharacter, c)
		}
		if len(vals) == numberLen {
			return "", fmt.Errorf("%w, got more", ErrNumberLength)
		}
		vals = append(vals, v)
	}
	if len(vals) != numberLen {
		return "", fmt.Errorf("%w, got %d", ErrNumberLength, len(vals))
	}
	if checkFold(vals) != 0 {
		return "", ErrNumberCheck
	}
	out := make([]byte, numberLen)
	for i, v := range vals {
		out[i] = crockford[v]
	}
	return InternetNumber(out), nil
}

// String returns the canonical form.
func (n InternetNumber) String() string { return string(n) }

// Display groups the number for reading aloud or copying: "ABCDE-FGHJK".
func (n InternetNumber) Display() string {
	if len(n) != numberLen {
		return string(n)
	}
	return string(n[:5]) + "-" + string(n[5:])
}
