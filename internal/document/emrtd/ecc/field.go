package ecc

import (
	"math/big"
	"math/bits"
)

// maxLimbs is the number of 64-bit words of the largest supported field
// element (MaxFieldBits = 576).
const maxLimbs = (MaxFieldBits + 63) / 64

// fe is a field element in Montgomery form (x·R mod p, R = 2^(64·n)),
// little-endian 64-bit words; only the first n words are used.
type fe [maxLimbs]uint64

// field is arithmetic modulo an odd prime p in Montgomery representation.
// math/big spends most of an ECDSA verification dividing by p after each
// multiplication; Montgomery multiplication (the CIOS method of Koç, Acar
// and Kaliski, "Analyzing and comparing Montgomery multiplication
// algorithms", 1996) replaces those divisions by word multiplications.
type field struct {
	n    int      // words in use
	p    fe       // the modulus
	pinv uint64   // −p⁻¹ mod 2⁶⁴
	r2   fe       // R² mod p (plain form), for conversions into Montgomery form
	one  fe       // R mod p: 1 in Montgomery form
	a    fe       // the curve coefficient a in Montgomery form
	pBig *big.Int // p
}

// newField prepares arithmetic modulo p (odd, at most MaxFieldBits bits)
// for a curve with coefficient a (0 ≤ a < p).
func newField(p, a *big.Int) *field {
	f := &field{n: (p.BitLen() + 63) / 64, pBig: p}
	f.p = loadLimbs(p)
	// Newton's iteration for p⁻¹ mod 2⁶⁴: each step doubles the correct
	// low bits; p·p ≡ 1 (mod 8) seeds three.
	inv := f.p[0]
	for i := 0; i < 6; i++ {
		inv *= 2 - f.p[0]*inv
	}
	f.pinv = -inv
	r := new(big.Int).Lsh(big.NewInt(1), uint(64*f.n))
	f.one = loadLimbs(new(big.Int).Mod(r, p))
	f.r2 = loadLimbs(new(big.Int).Mod(new(big.Int).Mul(r, r), p))
	f.a = f.fromBig(a)
	return f
}

// loadLimbs converts a non-negative x < 2^MaxFieldBits into words.
func loadLimbs(x *big.Int) fe {
	var z fe
	for i, w := range x.Bits() {
		if i < maxLimbs {
			z[i] = uint64(w)
		}
	}
	return z
}

// fromBig returns x (0 ≤ x < p) in Montgomery form.
func (f *field) fromBig(x *big.Int) fe {
	plain := loadLimbs(x)
	var z fe
	f.mul(&z, &plain, &f.r2)
	return z
}

// toBig returns the plain value of a Montgomery-form element.
func (f *field) toBig(x *fe) *big.Int {
	var one, z fe
	one[0] = 1
	f.mul(&z, x, &one)
	words := make([]big.Word, f.n)
	for i := range words {
		words[i] = big.Word(z[i])
	}
	return new(big.Int).SetBits(words)
}

// mul sets z = x·y·R⁻¹ mod p (CIOS). z may alias x or y.
func (f *field) mul(z, x, y *fe) {
	n := f.n
	var t [maxLimbs + 2]uint64
	for i := 0; i < n; i++ {
		// t += x·y[i]
		var c uint64
		yi := y[i]
		for j := 0; j < n; j++ {
			hi, lo := bits.Mul64(x[j], yi)
			var carry uint64
			lo, carry = bits.Add64(lo, t[j], 0)
			hi += carry
			lo, carry = bits.Add64(lo, c, 0)
			hi += carry
			t[j] = lo
			c = hi
		}
		var carry uint64
		t[n], carry = bits.Add64(t[n], c, 0)
		t[n+1] = carry
		// t = (t + m·p) / 2⁶⁴, with m chosen so the low word vanishes.
		m := t[0] * f.pinv
		hi, lo := bits.Mul64(m, f.p[0])
		_, carry = bits.Add64(lo, t[0], 0)
		c = hi + carry
		for j := 1; j < n; j++ {
			hi, lo = bits.Mul64(m, f.p[j])
			lo, carry = bits.Add64(lo, t[j], 0)
			hi += carry
			lo, carry = bits.Add64(lo, c, 0)
			hi += carry
			t[j-1] = lo
			c = hi
		}
		t[n-1], carry = bits.Add64(t[n], c, 0)
		t[n] = t[n+1] + carry
	}
	// t < 2p: subtract p once if needed.
	var r fe
	var borrow uint64
	for j := 0; j < n; j++ {
		r[j], borrow = bits.Sub64(t[j], f.p[j], borrow)
	}
	_, borrow = bits.Sub64(t[n], 0, borrow)
	if borrow != 0 { // t < p
		copy(z[:n], t[:n])
	} else {
		copy(z[:n], r[:n])
	}
	for j := n; j < maxLimbs; j++ {
		z[j] = 0
	}
}

// add sets z = x + y mod p.
func (f *field) add(z, x, y *fe) {
	n := f.n
	var s, r fe
	var carry, borrow uint64
	for j := 0; j < n; j++ {
		s[j], carry = bits.Add64(x[j], y[j], carry)
	}
	for j := 0; j < n; j++ {
		r[j], borrow = bits.Sub64(s[j], f.p[j], borrow)
	}
	// Keep s when s < p, i.e. the subtraction borrowed and the addition did
	// not carry.
	if carry == 0 && borrow != 0 {
		*z = s
	} else {
		*z = r
	}
}

// sub sets z = x − y mod p.
func (f *field) sub(z, x, y *fe) {
	n := f.n
	var d fe
	var borrow, carry uint64
	for j := 0; j < n; j++ {
		d[j], borrow = bits.Sub64(x[j], y[j], borrow)
	}
	if borrow != 0 {
		for j := 0; j < n; j++ {
			d[j], carry = bits.Add64(d[j], f.p[j], carry)
		}
	}
	*z = d
}

func (f *field) isZero(x *fe) bool {
	var acc uint64
	for j := 0; j < f.n; j++ {
		acc |= x[j]
	}
	return acc == 0
}
