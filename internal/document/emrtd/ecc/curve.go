package ecc

import (
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"
)

// ErrInvalidCurve is wrapped by every error that rejects curve parameters
// or a point: the parameters do not describe a usable prime-order group,
// or the point is not on the curve.
var ErrInvalidCurve = errors.New("invalid elliptic curve parameters")

// MaxFieldBits bounds the size of the prime field we are willing to work
// with. The largest curve in use for travel documents is P-521; the bound
// keeps validation of hostile explicit parameters cheap.
const MaxFieldBits = 576

// Curve is a short Weierstrass curve y² = x³ + ax + b over the prime field
// GF(p), with a base point G of prime order N and cofactor H.
//
// Unlike crypto/elliptic.CurveParams, A is general: brainpool curves do not
// have a = -3.
type Curve struct {
	// Name is the curve's name ("brainpoolP256r1", "P-256") or "" for an
	// explicit curve that matches no named curve.
	Name string
	// OID is the named curve's object identifier, nil for unnamed curves.
	OID asn1.ObjectIdentifier

	P, A, B *big.Int // field prime and coefficients
	Gx, Gy  *big.Int // base point
	N       *big.Int // order of the base point
	H       *big.Int // cofactor

	// stdlib is the crypto/elliptic curve with the same parameters, for the
	// four NIST curves; nil otherwise.
	stdlib elliptic.Curve
}

// BitSize returns the size of the field prime in bits.
func (c *Curve) BitSize() int { return c.P.BitLen() }

// ByteSize returns the length in bytes of an encoded field element.
func (c *Curve) ByteSize() int { return (c.P.BitLen() + 7) / 8 }

// Stdlib returns the crypto/elliptic curve with the same parameters (one of
// the NIST curves P-224, P-256, P-384, P-521), or nil.
func (c *Curve) Stdlib() elliptic.Curve { return c.stdlib }

// String returns the curve's name, or a description of an unnamed curve.
func (c *Curve) String() string {
	if c.Name != "" {
		return c.Name
	}
	return fmt.Sprintf("unnamed %d-bit prime curve", c.BitSize())
}

// SameParameters reports whether c and d define the same group with the
// same generator: equal p, a, b, G, n (and h when both are known).
func (c *Curve) SameParameters(d *Curve) bool {
	eq := func(x, y *big.Int) bool { return x != nil && y != nil && x.Cmp(y) == 0 }
	if !eq(c.P, d.P) || !eq(c.A, d.A) || !eq(c.B, d.B) || !eq(c.Gx, d.Gx) || !eq(c.Gy, d.Gy) || !eq(c.N, d.N) {
		return false
	}
	if c.H != nil && d.H != nil && c.H.Cmp(d.H) != 0 {
		return false
	}
	return true
}

// IsOnCurve reports whether (x, y) is an affine point of the curve, with
// both coordinates reduced modulo p.
func (c *Curve) IsOnCurve(x, y *big.Int) bool {
	if x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.Cmp(c.P) >= 0 || y.Cmp(c.P) >= 0 {
		return false
	}
	return c.rhs(x).Cmp(new(big.Int).Mod(new(big.Int).Mul(y, y), c.P)) == 0
}

// rhs returns x³ + ax + b mod p.
func (c *Curve) rhs(x *big.Int) *big.Int {
	r := new(big.Int).Mul(x, x)
	r.Add(r, c.A)
	r.Mul(r, x)
	r.Add(r, c.B)
	return r.Mod(r, c.P)
}

// validated caches the outcome of Validate per parameter set, so that the
// hundreds of certificates of a master list sharing one explicit curve pay
// for the order check once.
var validated sync.Map // string(params) -> error (nil stored as errNone)

var errNone = errors.New("valid")

func (c *Curve) cacheKey() string {
	var b []byte
	for _, v := range []*big.Int{c.P, c.A, c.B, c.Gx, c.Gy, c.N, c.H} {
		if v == nil {
			b = append(b, 0xff)
			continue
		}
		vb := v.Bytes()
		b = append(b, byte(len(vb)>>8), byte(len(vb)))
		b = append(b, vb...)
	}
	return string(b)
}

// Validate checks that the parameters describe a usable group for ECDSA
// verification (SEC 1 version 2, section 3.1.1.2.1, without the
// MOV/anomalous checks that only matter for key generation):
//
//   - p is an odd probable prime of at most MaxFieldBits bits;
//   - 0 ≤ a, b < p and 4a³ + 27b² ≢ 0 (mod p), so the curve is not singular;
//   - G is on the curve;
//   - n is a probable prime, n·G is the point at infinity, and the cofactor
//     h satisfies the Hasse bound |h·n − (p+1)| ≤ 2√p (h is derived from
//     that bound when the parameters omit it).
//
// The result is cached per parameter set. Validate fills in H when it was
// nil.
func (c *Curve) Validate() error {
	if c.P == nil || c.A == nil || c.B == nil || c.Gx == nil || c.Gy == nil || c.N == nil {
		return fmt.Errorf("%w: missing parameter", ErrInvalidCurve)
	}
	key := c.cacheKey()
	if v, ok := validated.Load(key); ok {
		if c.H == nil {
			c.H = deriveCofactor(c.P, c.N)
		}
		if v.(error) == errNone {
			return nil
		}
		return v.(error)
	}
	err := c.validate()
	if err == nil {
		validated.Store(key, errNone)
	} else {
		validated.Store(key, err)
	}
	return err
}

func (c *Curve) validate() error {
	p := c.P
	if p.Sign() <= 0 || p.BitLen() > MaxFieldBits || p.BitLen() < 128 || p.Bit(0) == 0 {
		return fmt.Errorf("%w: field prime of %d bits is out of range (128 to %d, odd)", ErrInvalidCurve, p.BitLen(), MaxFieldBits)
	}
	if !p.ProbablyPrime(20) {
		return fmt.Errorf("%w: field modulus is not prime", ErrInvalidCurve)
	}
	for _, v := range []*big.Int{c.A, c.B} {
		if v.Sign() < 0 || v.Cmp(p) >= 0 {
			return fmt.Errorf("%w: coefficient not reduced modulo p", ErrInvalidCurve)
		}
	}
	// Discriminant: 4a³ + 27b² mod p must not vanish.
	d := new(big.Int).Exp(c.A, big.NewInt(3), p)
	d.Mul(d, big.NewInt(4))
	b2 := new(big.Int).Mul(c.B, c.B)
	b2.Mul(b2, big.NewInt(27))
	d.Add(d, b2).Mod(d, p)
	if d.Sign() == 0 {
		return fmt.Errorf("%w: singular curve", ErrInvalidCurve)
	}
	if !c.IsOnCurve(c.Gx, c.Gy) {
		return fmt.Errorf("%w: base point is not on the curve", ErrInvalidCurve)
	}
	n := c.N
	if n.Sign() <= 0 || n.BitLen() > MaxFieldBits+1 || !n.ProbablyPrime(20) {
		return fmt.Errorf("%w: order is not a prime", ErrInvalidCurve)
	}
	h := c.H
	if h == nil {
		h = deriveCofactor(p, n)
	}
	if h.Sign() <= 0 || !hasseOK(p, n, h) {
		return fmt.Errorf("%w: order and cofactor violate the Hasse bound", ErrInvalidCurve)
	}
	if !c.orderTimesIsInfinity(c.Gx, c.Gy) {
		return fmt.Errorf("%w: n·G is not the point at infinity", ErrInvalidCurve)
	}
	c.H = h
	return nil
}

// deriveCofactor returns round((p+1)/n), the only cofactor compatible with
// the Hasse bound when n > 4√p.
func deriveCofactor(p, n *big.Int) *big.Int {
	num := new(big.Int).Add(p, big.NewInt(1))
	num.Add(num, new(big.Int).Rsh(n, 1))
	return num.Div(num, n)
}

// hasseOK reports whether (h·n − (p+1))² ≤ 4p.
func hasseOK(p, n, h *big.Int) bool {
	t := new(big.Int).Mul(h, n)
	t.Sub(t, p)
	t.Sub(t, big.NewInt(1))
	t.Mul(t, t)
	return t.Cmp(new(big.Int).Lsh(p, 2)) <= 0
}
