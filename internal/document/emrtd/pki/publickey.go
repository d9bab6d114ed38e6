package pki

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"

	"github.com/netid/netid/internal/document/emrtd/ecc"
)

// KeyAlgorithm is the family of a public key.
type KeyAlgorithm string

// The key families of travel-document PKIs.
const (
	KeyRSA KeyAlgorithm = "RSA"
	KeyEC  KeyAlgorithm = "EC"
	KeySM2 KeyAlgorithm = "SM2"
)

// PublicKey is a verification key from a SubjectPublicKeyInfo.
//
// Exactly one of RSA, EC and SM2 is set according to Algorithm. For EC keys
// on a NIST curve, ECDSA is also set so that verification goes through
// crypto/ecdsa; EC keys on brainpool or unnamed explicit curves are
// verified by package ecc.
type PublicKey struct {
	Algorithm KeyAlgorithm
	RSA       *rsa.PublicKey
	EC        *ecc.PublicKey
	ECDSA     *ecdsa.PublicKey // NIST curves only
	SM2       *ecdsa.PublicKey // on gmsm's SM2 curve
	// Explicit reports that the key's curve was given as explicit
	// parameters rather than a named-curve OID.
	Explicit bool
	// Raw is the DER SubjectPublicKeyInfo.
	Raw []byte
}

// Describe returns a short description such as "RSA-2048",
// "EC brainpoolP256r1 (explicit parameters)" or "SM2".
func (k *PublicKey) Describe() string {
	switch k.Algorithm {
	case KeyRSA:
		return fmt.Sprintf("RSA-%d", k.RSA.N.BitLen())
	case KeyEC:
		s := "EC " + k.EC.Curve.String()
		if k.Explicit {
			s += " (explicit parameters)"
		}
		return s
	case KeySM2:
		return "SM2"
	}
	return string(k.Algorithm)
}

// CurveName returns the name of an EC key's curve ("" for RSA keys, "SM2"
// for SM2 keys, "" for an unnamed explicit curve).
func (k *PublicKey) CurveName() string {
	switch k.Algorithm {
	case KeyEC:
		return k.EC.Curve.Name
	case KeySM2:
		return "SM2"
	}
	return ""
}

type spki struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// maxRSABits bounds RSA moduli; CSCA keys go up to 4096 bits (8192 has
// been seen in test PKIs).
const maxRSABits = 8192

// ParsePublicKey decodes a DER SubjectPublicKeyInfo. RSA and named NIST
// curve keys go through crypto/x509.ParsePKIXPublicKey; when it refuses
// (brainpool curves, explicit parameters, SM2, RSASSA-PSS keys,
// unusual RSA exponents) the key is decoded here.
func ParsePublicKey(der []byte) (*PublicKey, error) {
	if std, err := x509.ParsePKIXPublicKey(der); err == nil {
		switch k := std.(type) {
		case *rsa.PublicKey:
			if err := checkRSAKey(k.N, big.NewInt(int64(k.E))); err != nil {
				return nil, err
			}
			return &PublicKey{Algorithm: KeyRSA, RSA: k, Raw: der}, nil
		case *ecdsa.PublicKey:
			point, err := k.Bytes()
			if err != nil {
				return nil, fmt.Errorf("%w: EC key: %v", ErrMalformed, err)
			}
			curve := namedForStdlib(k)
			if curve == nil {
				break // not reached: x509 only returns the four NIST curves
			}
			pub, err := ecc.ParsePoint(curve, point)
			if err != nil {
				return nil, fmt.Errorf("%w: EC key: %v", ErrMalformed, err)
			}
			return &PublicKey{Algorithm: KeyEC, EC: pub, ECDSA: k, Raw: der}, nil
		}
	}
	var info spki
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil {
		return nil, fmt.Errorf("%w: SubjectPublicKeyInfo: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: SubjectPublicKeyInfo: trailing data", ErrMalformed)
	}
	if info.PublicKey.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: public key bit string is not a whole number of bytes", ErrMalformed)
	}
	key := info.PublicKey.Bytes
	alg := info.Algorithm.Algorithm
	switch {
	case alg.Equal(OIDRSAEncryption) || alg.Equal(OIDRSASSAPSS):
		pub, err := parseRSAKey(key)
		if err != nil {
			return nil, err
		}
		return &PublicKey{Algorithm: KeyRSA, RSA: pub, Raw: der}, nil
	case alg.Equal(OIDECPublicKey) || alg.Equal(OIDSM2Curve):
		return parseECKey(info.Algorithm, key, der)
	}
	return nil, fmt.Errorf("%w: public key algorithm %v", ErrUnsupportedAlgorithm, alg)
}

func namedForStdlib(k *ecdsa.PublicKey) *ecc.Curve {
	for _, c := range ecc.NamedCurves() {
		if c.Stdlib() != nil && c.Stdlib() == k.Curve {
			return c
		}
	}
	return nil
}

// parseRSAKey decodes an RSAPublicKey (RFC 8017 appendix A.1.1), tolerating
// integers with superfluous leading zeros.
func parseRSAKey(der []byte) (*rsa.PublicKey, error) {
	var k struct{ N, E asn1.RawValue }
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: RSAPublicKey", ErrMalformed)
	}
	n, err := positiveInteger(k.N)
	if err != nil {
		return nil, fmt.Errorf("%w: RSA modulus: %v", ErrMalformed, err)
	}
	e, err := positiveInteger(k.E)
	if err != nil {
		return nil, fmt.Errorf("%w: RSA exponent: %v", ErrMalformed, err)
	}
	if err := checkRSAKey(n, e); err != nil {
		return nil, err
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// checkRSAKey refuses moduli outside 512 to maxRSABits bits, even moduli,
// and exponents that are even, below 3 or above 2³¹−1 (which crypto/rsa
// cannot use).
func checkRSAKey(n, e *big.Int) error {
	if n.BitLen() > maxRSABits || n.BitLen() < 512 || n.Bit(0) == 0 {
		return fmt.Errorf("%w: RSA modulus of %d bits", ErrUnsupportedAlgorithm, n.BitLen())
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return fmt.Errorf("%w: RSA exponent %v", ErrUnsupportedAlgorithm, e)
	}
	return nil
}

// positiveInteger decodes an INTEGER that must be positive, tolerating
// leading zero bytes (BER) but not negative values.
func positiveInteger(v asn1.RawValue) (*big.Int, error) {
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagInteger || v.IsCompound || len(v.Bytes) == 0 {
		return nil, fmt.Errorf("not an INTEGER")
	}
	if v.Bytes[0]&0x80 != 0 {
		return nil, fmt.Errorf("negative INTEGER")
	}
	n := new(big.Int).SetBytes(v.Bytes)
	if n.Sign() == 0 {
		return nil, fmt.Errorf("zero")
	}
	return n, nil
}

// parseECKey decodes an id-ecPublicKey key: the parameters are a named
// curve OID (NIST, brainpool or SM2) or explicit ECParameters.
func parseECKey(alg pkix.AlgorithmIdentifier, point, der []byte) (*PublicKey, error) {
	params := alg.Parameters
	if alg.Algorithm.Equal(OIDSM2Curve) && len(params.FullBytes) == 0 {
		// Some SM2 keys use the curve OID as the key algorithm.
		return parseSM2Key(point, der)
	}
	switch {
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagOID:
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(params.FullBytes, &oid); err != nil {
			return nil, fmt.Errorf("%w: EC curve identifier: %v", ErrMalformed, err)
		}
		if oid.Equal(OIDSM2Curve) {
			return parseSM2Key(point, der)
		}
		curve, ok := ecc.CurveByOID(oid)
		if !ok {
			return nil, fmt.Errorf("%w: elliptic curve %v", ErrUnsupportedAlgorithm, oid)
		}
		return ecKey(curve, false, point, der)
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagSequence:
		explicit, err := ecc.ParseECParameters(params.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: explicit EC parameters: %v", ErrMalformed, err)
		}
		return ecKey(explicit.Curve, true, point, der)
	case params.Class == asn1.ClassUniversal && params.Tag == asn1.TagNull:
		return nil, fmt.Errorf("%w: implicitlyCA EC parameters", ErrUnsupportedAlgorithm)
	}
	return nil, fmt.Errorf("%w: EC key parameters", ErrMalformed)
}

func ecKey(curve *ecc.Curve, explicit bool, point, der []byte) (*PublicKey, error) {
	pub, err := ecc.ParsePoint(curve, point)
	if err != nil {
		return nil, fmt.Errorf("%w: EC public key: %v", ErrMalformed, err)
	}
	k := &PublicKey{Algorithm: KeyEC, EC: pub, Explicit: explicit, Raw: der}
	if std := curve.Stdlib(); std != nil {
		k.ECDSA, err = ecdsa.ParseUncompressedPublicKey(std, pub.Uncompressed())
		if err != nil {
			return nil, fmt.Errorf("%w: EC public key: %v", ErrMalformed, err)
		}
	}
	return k, nil
}

func parseSM2Key(point, der []byte) (*PublicKey, error) {
	pub, err := sm2.NewPublicKey(point)
	if err != nil {
		return nil, fmt.Errorf("%w: SM2 public key: %v", ErrMalformed, err)
	}
	return &PublicKey{Algorithm: KeySM2, SM2: pub, Raw: der}, nil
}
