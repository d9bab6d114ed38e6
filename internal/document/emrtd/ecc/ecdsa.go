package ecc

import (
	"encoding/asn1"
	"fmt"
	"math/big"
)

// PublicKey is an ECDSA public key on any curve of this package.
type PublicKey struct {
	Curve *Curve
	X, Y  *big.Int
}

// ParsePoint decodes an EC point (SEC 1 version 2 section 2.3.4:
// uncompressed 04‖X‖Y or compressed 02/03‖X) as a public key on c. The
// curve must have been validated. The point must be on the curve, not the
// point at infinity, and of order n when the cofactor is not 1.
func ParsePoint(c *Curve, data []byte) (*PublicKey, error) {
	size := c.ByteSize()
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty point", ErrInvalidCurve)
	}
	var x, y *big.Int
	switch {
	case data[0] == 4 && len(data) == 1+2*size:
		x = new(big.Int).SetBytes(data[1 : 1+size])
		y = new(big.Int).SetBytes(data[1+size:])
	case (data[0] == 2 || data[0] == 3) && len(data) == 1+size:
		x = new(big.Int).SetBytes(data[1:])
		if x.Cmp(c.P) >= 0 {
			return nil, fmt.Errorf("%w: compressed x out of range", ErrInvalidCurve)
		}
		y = new(big.Int).ModSqrt(c.rhs(x), c.P)
		if y == nil {
			return nil, fmt.Errorf("%w: compressed point has no square root", ErrInvalidCurve)
		}
		if y.Bit(0) != uint(data[0]&1) {
			y.Sub(c.P, y)
		}
	default:
		return nil, fmt.Errorf("%w: point encoding of %d bytes, tag %#x, for a %d-byte field", ErrInvalidCurve, len(data), data[0], size)
	}
	if !c.IsOnCurve(x, y) {
		return nil, fmt.Errorf("%w: point is not on %s", ErrInvalidCurve, c)
	}
	if c.H != nil && c.H.Cmp(big.NewInt(1)) != 0 && !c.orderTimesIsInfinity(x, y) {
		return nil, fmt.Errorf("%w: point is not in the subgroup of order n", ErrInvalidCurve)
	}
	return &PublicKey{Curve: c, X: x, Y: y}, nil
}

// Uncompressed returns the key as 04‖X‖Y.
func (k *PublicKey) Uncompressed() []byte {
	size := k.Curve.ByteSize()
	out := make([]byte, 1+2*size)
	out[0] = 4
	k.X.FillBytes(out[1 : 1+size])
	k.Y.FillBytes(out[1+size:])
	return out
}

// hashToInt converts a hash value to an integer as SEC 1 section 4.1.4
// step 5 requires: the leftmost bitlen(n) bits.
func hashToInt(hash []byte, n *big.Int) *big.Int {
	orderBits := n.BitLen()
	orderBytes := (orderBits + 7) / 8
	if len(hash) > orderBytes {
		hash = hash[:orderBytes]
	}
	e := new(big.Int).SetBytes(hash)
	if excess := len(hash)*8 - orderBits; excess > 0 {
		e.Rsh(e, uint(excess))
	}
	return e
}

// Verify reports whether (r, s) is a valid ECDSA signature of hash under
// pub (SEC 1 version 2 section 4.1.4), computing u1·G + u2·Q with the
// generic Jacobian arithmetic of this package.
func Verify(pub *PublicKey, hash []byte, r, s *big.Int) bool {
	c := pub.Curve
	n := c.N
	if r == nil || s == nil || r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return false
	}
	if !c.IsOnCurve(pub.X, pub.Y) {
		return false
	}
	e := hashToInt(hash, n)
	w := new(big.Int).ModInverse(s, n)
	if w == nil {
		return false
	}
	u1 := new(big.Int).Mul(e, w)
	u1.Mod(u1, n)
	u2 := new(big.Int).Mul(r, w)
	u2.Mod(u2, n)
	a := c.arith()
	g, q := a.fromAffine(c.Gx, c.Gy), a.fromAffine(pub.X, pub.Y)
	pt := a.combinedMult(&g, u1, &q, u2)
	x, _, ok := a.toAffine(&pt)
	if !ok {
		return false
	}
	x.Mod(x, n)
	return x.Cmp(r) == 0
}

// ParseSignature decodes a DER ECDSA-Sig-Value (RFC 3279 section 2.2.3),
// refusing trailing data and non-minimal or negative integers.
func ParseSignature(sig []byte) (r, s *big.Int, err error) {
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil {
		return nil, nil, fmt.Errorf("ECDSA signature: %w", err)
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("ECDSA signature: %d bytes of trailing data", len(rest))
	}
	if v.R.Sign() <= 0 || v.S.Sign() <= 0 {
		return nil, nil, fmt.Errorf("ECDSA signature: r and s must be positive")
	}
	return v.R, v.S, nil
}

// VerifyASN1 reports whether sig, a DER ECDSA-Sig-Value, is a valid
// signature of hash under pub.
func VerifyASN1(pub *PublicKey, hash, sig []byte) bool {
	r, s, err := ParseSignature(sig)
	if err != nil {
		return false
	}
	return Verify(pub, hash, r, s)
}

// VerifyPlain reports whether sig, the plain concatenation r‖s of two
// field-order-sized integers (BSI TR-03111 section 5.2.1, used by the
// ecdsa-plain-* algorithms), is a valid signature of hash under pub.
func VerifyPlain(pub *PublicKey, hash, sig []byte) bool {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return false
	}
	half := len(sig) / 2
	if half != (pub.Curve.N.BitLen()+7)/8 {
		return false
	}
	r := new(big.Int).SetBytes(sig[:half])
	s := new(big.Int).SetBytes(sig[half:])
	return Verify(pub, hash, r, s)
}
