package ecc

import (
	"encoding/asn1"
	"fmt"
	"math/big"
)

// Field type identifiers of ANSI X9.62 / RFC 3279 section 2.3.5.
var (
	oidPrimeField          = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	oidCharacteristicTwo   = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 2}
	maxParameterElementLen = (MaxFieldBits+7)/8 + 1
)

// ecParameters is SpecifiedECDomain (SEC 1 version 2 section C.2; RFC 3279
// section 2.3.5 ECParameters):
//
//	ECParameters ::= SEQUENCE {
//	   version   ECPVer,          -- ecpVer1(1), SEC 1 v2 adds 2 and 3
//	   fieldID   FieldID,
//	   curve     Curve,
//	   base      ECPoint,         -- OCTET STRING
//	   order     INTEGER,
//	   cofactor  INTEGER OPTIONAL,
//	   hash      HashAlgorithm OPTIONAL }  -- SEC 1 v2 only; ignored
type ecParameters struct {
	Version  int
	FieldID  fieldID
	Curve    curveASN
	Base     []byte
	Order    asn1.RawValue
	Cofactor asn1.RawValue `asn1:"optional"`
	Hash     asn1.RawValue `asn1:"optional"`
}

type fieldID struct {
	FieldType  asn1.ObjectIdentifier
	Parameters asn1.RawValue
}

type curveASN struct {
	A    []byte
	B    []byte
	Seed asn1.BitString `asn1:"optional"`
}

// Explicit describes where a curve came from when it was parsed from
// explicit parameters.
type Explicit struct {
	// Curve is the named curve the parameters match, or a new unnamed
	// curve when they match none.
	Curve *Curve
	// Named reports whether the parameters matched a named curve.
	Named bool
}

// ParseECParameters decodes explicit domain parameters (an ECParameters
// SEQUENCE as found in the algorithm parameters of an id-ecPublicKey
// SubjectPublicKeyInfo), maps them to a named curve when they are a copy of
// one, and otherwise validates them (see Curve.Validate). Only prime
// fields are supported.
func ParseECParameters(der []byte) (Explicit, error) {
	var p ecParameters
	rest, err := asn1.Unmarshal(der, &p)
	if err != nil {
		return Explicit{}, fmt.Errorf("%w: ECParameters: %v", ErrInvalidCurve, err)
	}
	if len(rest) != 0 {
		return Explicit{}, fmt.Errorf("%w: ECParameters: trailing data", ErrInvalidCurve)
	}
	if p.Version < 1 || p.Version > 3 {
		return Explicit{}, fmt.Errorf("%w: ECParameters version %d", ErrInvalidCurve, p.Version)
	}
	switch {
	case p.FieldID.FieldType.Equal(oidPrimeField):
	case p.FieldID.FieldType.Equal(oidCharacteristicTwo):
		return Explicit{}, fmt.Errorf("%w: characteristic-two fields are not supported", ErrInvalidCurve)
	default:
		return Explicit{}, fmt.Errorf("%w: unknown field type %v", ErrInvalidCurve, p.FieldID.FieldType)
	}
	prime, err := unsignedInteger(p.FieldID.Parameters)
	if err != nil {
		return Explicit{}, fmt.Errorf("%w: field prime: %v", ErrInvalidCurve, err)
	}
	order, err := unsignedInteger(p.Order)
	if err != nil {
		return Explicit{}, fmt.Errorf("%w: order: %v", ErrInvalidCurve, err)
	}
	if len(p.Curve.A) > maxParameterElementLen || len(p.Curve.B) > maxParameterElementLen {
		return Explicit{}, fmt.Errorf("%w: coefficient too long", ErrInvalidCurve)
	}
	c := &Curve{
		P: prime, N: order,
		A: new(big.Int).SetBytes(p.Curve.A),
		B: new(big.Int).SetBytes(p.Curve.B),
	}
	if len(p.Cofactor.FullBytes) != 0 {
		if c.H, err = unsignedInteger(p.Cofactor); err != nil {
			return Explicit{}, fmt.Errorf("%w: cofactor: %v", ErrInvalidCurve, err)
		}
	}
	if prime.BitLen() > MaxFieldBits || prime.BitLen() == 0 {
		return Explicit{}, fmt.Errorf("%w: field prime of %d bits", ErrInvalidCurve, prime.BitLen())
	}
	// The base point is decoded without curve checks first; Validate then
	// checks it is on the curve.
	gx, gy, err := decodeBase(c, p.Base)
	if err != nil {
		return Explicit{}, err
	}
	c.Gx, c.Gy = gx, gy
	if n, ok := MatchNamed(c); ok {
		return Explicit{Curve: n, Named: true}, nil
	}
	if c.H == nil {
		c.H = deriveCofactor(c.P, c.N)
	}
	if err := c.Validate(); err != nil {
		return Explicit{}, err
	}
	return Explicit{Curve: c}, nil
}

// decodeBase decodes the base point of explicit parameters.
func decodeBase(c *Curve, data []byte) (x, y *big.Int, err error) {
	size := c.ByteSize()
	switch {
	case len(data) == 1+2*size && data[0] == 4:
		return new(big.Int).SetBytes(data[1 : 1+size]), new(big.Int).SetBytes(data[1+size:]), nil
	case len(data) == 1+size && (data[0] == 2 || data[0] == 3):
		x = new(big.Int).SetBytes(data[1:])
		if x.Cmp(c.P) >= 0 || c.P.Bit(0) == 0 || !c.P.ProbablyPrime(10) {
			return nil, nil, fmt.Errorf("%w: compressed base point", ErrInvalidCurve)
		}
		y = new(big.Int).ModSqrt(c.rhs(x), c.P)
		if y == nil {
			return nil, nil, fmt.Errorf("%w: compressed base point has no square root", ErrInvalidCurve)
		}
		if y.Bit(0) != uint(data[0]&1) {
			y.Sub(c.P, y)
		}
		return x, y, nil
	}
	return nil, nil, fmt.Errorf("%w: base point encoding of %d bytes", ErrInvalidCurve, len(data))
}

// unsignedInteger decodes a DER INTEGER that must be positive. Leading
// zero bytes beyond the sign byte are tolerated: some issuers encode
// parameters with fixed-width integers.
func unsignedInteger(v asn1.RawValue) (*big.Int, error) {
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagInteger || v.IsCompound {
		return nil, fmt.Errorf("not an INTEGER")
	}
	if len(v.Bytes) == 0 || v.Bytes[0]&0x80 != 0 {
		return nil, fmt.Errorf("not a positive INTEGER")
	}
	if len(v.Bytes) > maxParameterElementLen+8 {
		return nil, fmt.Errorf("INTEGER too long")
	}
	n := new(big.Int).SetBytes(v.Bytes)
	if n.Sign() <= 0 {
		return nil, fmt.Errorf("not a positive INTEGER")
	}
	return n, nil
}
