package pki

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/emmansun/gmsm/sm2"

	"github.com/netid/netid/internal/document/emrtd/ecc"
)

// Scheme is a signature scheme.
type Scheme string

// The signature schemes of travel-document PKIs.
const (
	SchemeRSAPKCS1v15 Scheme = "RSA PKCS#1 v1.5"
	SchemeRSAPSS      Scheme = "RSASSA-PSS"
	SchemeECDSA       Scheme = "ECDSA"
	SchemeECDSAPlain  Scheme = "ECDSA (plain r‖s)"
	SchemeSM2         Scheme = "SM2"
)

// SignatureAlgorithm is a resolved signature algorithm: the scheme, the
// digest applied to the signed data and, for RSASSA-PSS, its parameters.
type SignatureAlgorithm struct {
	// OID is the signature algorithm identifier as found.
	OID    asn1.ObjectIdentifier
	Scheme Scheme
	Digest *Digest
	// PSS holds the RSASSA-PSS parameters, nil for other schemes.
	PSS *PSSParameters
}

// PSSParameters are RSASSA-PSS-params (RFC 4055 section 3.1) with their
// defaults applied.
type PSSParameters struct {
	Hash       *Digest
	MGF1Hash   *Digest
	SaltLength int
}

// String describes the algorithm, e.g. "ECDSA with SHA-256" or
// "RSASSA-PSS with SHA-256 (MGF1 SHA-256, salt 32)".
func (a SignatureAlgorithm) String() string {
	switch a.Scheme {
	case SchemeRSAPSS:
		return fmt.Sprintf("RSASSA-PSS with %s (MGF1 %s, salt %d)", a.Digest, a.PSS.MGF1Hash, a.PSS.SaltLength)
	case SchemeSM2:
		return "SM2 with SM3"
	}
	return fmt.Sprintf("%s with %s", a.Scheme, a.Digest)
}

// ResolveSignatureAlgorithm interprets a signature AlgorithmIdentifier.
// digest is the CMS SignerInfo digestAlgorithm, or nil for certificates and
// CRLs: it supplies the hash for algorithm identifiers that name only the
// key type (rsaEncryption, id-ecPublicKey), as some document signers
// write them.
func ResolveSignatureAlgorithm(sig pkix.AlgorithmIdentifier, digest *Digest) (SignatureAlgorithm, error) {
	oid := sig.Algorithm
	alg := SignatureAlgorithm{OID: oid}
	fixed := func(s Scheme, d *Digest) (SignatureAlgorithm, error) {
		if !absentOrNull(sig.Parameters) {
			return alg, fmt.Errorf("%w: %v with parameters", ErrMalformed, oid)
		}
		alg.Scheme, alg.Digest = s, d
		return alg, nil
	}
	needDigest := func(s Scheme) (SignatureAlgorithm, error) {
		if digest == nil {
			return alg, fmt.Errorf("%w: %v names no digest", ErrUnsupportedAlgorithm, oid)
		}
		return fixed(s, digest)
	}
	switch {
	case oid.Equal(OIDSHA1WithRSA):
		return fixed(SchemeRSAPKCS1v15, SHA1)
	case oid.Equal(OIDSHA224WithRSA):
		return fixed(SchemeRSAPKCS1v15, SHA224)
	case oid.Equal(OIDSHA256WithRSA):
		return fixed(SchemeRSAPKCS1v15, SHA256)
	case oid.Equal(OIDSHA384WithRSA):
		return fixed(SchemeRSAPKCS1v15, SHA384)
	case oid.Equal(OIDSHA512WithRSA):
		return fixed(SchemeRSAPKCS1v15, SHA512)
	case oid.Equal(OIDRSAEncryption):
		return needDigest(SchemeRSAPKCS1v15)
	case oid.Equal(OIDRSASSAPSS):
		p, err := parsePSSParameters(sig.Parameters)
		if err != nil {
			return alg, err
		}
		alg.Scheme, alg.Digest, alg.PSS = SchemeRSAPSS, p.Hash, p
		return alg, nil
	case oid.Equal(OIDECDSAWithSHA1):
		return fixed(SchemeECDSA, SHA1)
	case oid.Equal(OIDECDSAWithSHA224):
		return fixed(SchemeECDSA, SHA224)
	case oid.Equal(OIDECDSAWithSHA256):
		return fixed(SchemeECDSA, SHA256)
	case oid.Equal(OIDECDSAWithSHA384):
		return fixed(SchemeECDSA, SHA384)
	case oid.Equal(OIDECDSAWithSHA512):
		return fixed(SchemeECDSA, SHA512)
	case oid.Equal(OIDECPublicKey):
		return needDigest(SchemeECDSA)
	case oid.Equal(OIDECDSAPlainSHA1):
		return fixed(SchemeECDSAPlain, SHA1)
	case oid.Equal(OIDECDSAPlainSHA224):
		return fixed(SchemeECDSAPlain, SHA224)
	case oid.Equal(OIDECDSAPlainSHA256):
		return fixed(SchemeECDSAPlain, SHA256)
	case oid.Equal(OIDECDSAPlainSHA384):
		return fixed(SchemeECDSAPlain, SHA384)
	case oid.Equal(OIDECDSAPlainSHA512):
		return fixed(SchemeECDSAPlain, SHA512)
	case oid.Equal(OIDSM2WithSM3), oid.Equal(OIDSM2Sign):
		return fixed(SchemeSM2, SM3)
	}
	return alg, fmt.Errorf("%w: signature algorithm %v", ErrUnsupportedAlgorithm, oid)
}

type pssParamsASN struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	SaltLength   int                      `asn1:"optional,explicit,tag:2,default:20"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// parsePSSParameters decodes RSASSA-PSS-params, applying the RFC 4055
// defaults (SHA-1, MGF1 with SHA-1, salt length 20, trailer field 1) to
// absent fields.
func parsePSSParameters(raw asn1.RawValue) (*PSSParameters, error) {
	p := &PSSParameters{Hash: SHA1, MGF1Hash: SHA1, SaltLength: 20}
	if absentOrNull(raw) {
		return p, nil
	}
	var v pssParamsASN
	rest, err := asn1.Unmarshal(raw.FullBytes, &v)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: RSASSA-PSS parameters", ErrMalformed)
	}
	if len(v.Hash.Algorithm) != 0 {
		if p.Hash, err = DigestFromAlgorithm(v.Hash); err != nil {
			return nil, err
		}
	}
	if len(v.MGF.Algorithm) != 0 {
		if !v.MGF.Algorithm.Equal(OIDMGF1) {
			return nil, fmt.Errorf("%w: mask generation function %v", ErrUnsupportedAlgorithm, v.MGF.Algorithm)
		}
		var h pkix.AlgorithmIdentifier
		rest, err := asn1.Unmarshal(v.MGF.Parameters.FullBytes, &h)
		if err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: MGF1 parameters", ErrMalformed)
		}
		if p.MGF1Hash, err = DigestFromAlgorithm(h); err != nil {
			return nil, err
		}
	}
	if v.SaltLength < 0 || v.SaltLength > 1024 {
		return nil, fmt.Errorf("%w: RSASSA-PSS salt length %d", ErrMalformed, v.SaltLength)
	}
	if v.TrailerField != 1 {
		return nil, fmt.Errorf("%w: RSASSA-PSS trailer field %d", ErrUnsupportedAlgorithm, v.TrailerField)
	}
	p.SaltLength = v.SaltLength
	if p.Hash == SM3 || p.MGF1Hash == SM3 {
		return nil, fmt.Errorf("%w: RSASSA-PSS with SM3", ErrUnsupportedAlgorithm)
	}
	return p, nil
}

// VerifySignature checks sig over signed with pub under alg. It returns
// nil, or an error wrapping ErrSignatureInvalid (also when the key does
// not suit the algorithm) or ErrUnsupportedAlgorithm.
func VerifySignature(pub *PublicKey, alg SignatureAlgorithm, signed, sig []byte) error {
	switch alg.Scheme {
	case SchemeRSAPKCS1v15, SchemeRSAPSS:
		if pub.Algorithm != KeyRSA {
			return fmt.Errorf("%w: %s signature with a %s key", ErrSignatureInvalid, alg.Scheme, pub.Describe())
		}
		return verifyRSA(pub.RSA, alg, signed, sig)
	case SchemeECDSA, SchemeECDSAPlain:
		if pub.Algorithm != KeyEC {
			return fmt.Errorf("%w: %s signature with a %s key", ErrSignatureInvalid, alg.Scheme, pub.Describe())
		}
		return verifyECDSA(pub, alg, signed, sig)
	case SchemeSM2:
		if pub.Algorithm != KeySM2 {
			return fmt.Errorf("%w: SM2 signature with a %s key", ErrSignatureInvalid, pub.Describe())
		}
		// GB/T 32918.2 with the default user identity "1234567812345678"
		// (GM/T 0009), which is what sm2 uses for a nil uid.
		if !sm2.VerifyASN1WithSM2(pub.SM2, nil, signed, sig) {
			return fmt.Errorf("%w: SM2 signature does not verify", ErrSignatureInvalid)
		}
		return nil
	}
	return fmt.Errorf("%w: scheme %q", ErrUnsupportedAlgorithm, alg.Scheme)
}

func verifyRSA(pub *rsa.PublicKey, alg SignatureAlgorithm, signed, sig []byte) error {
	if pub.N.BitLen() < 1024 {
		return fmt.Errorf("%w: RSA key of %d bits", ErrUnsupportedAlgorithm, pub.N.BitLen())
	}
	k := (pub.N.BitLen() + 7) / 8
	if len(sig) > k {
		return fmt.Errorf("%w: RSA signature of %d bytes for a %d-byte modulus", ErrSignatureInvalid, len(sig), k)
	}
	if len(sig) < k {
		// Some signers drop leading zero bytes; the value is the same.
		sig = append(make([]byte, k-len(sig)), sig...)
	}
	if alg.Digest.Hash == 0 {
		return fmt.Errorf("%w: RSA with %s", ErrUnsupportedAlgorithm, alg.Digest)
	}
	hashed := alg.Digest.Sum(signed)
	if alg.Scheme == SchemeRSAPKCS1v15 {
		if err := rsa.VerifyPKCS1v15(pub, alg.Digest.Hash, hashed, sig); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrSignatureInvalid, alg, err)
		}
		return nil
	}
	p := alg.PSS
	if p.MGF1Hash == p.Hash && p.SaltLength > 0 {
		opts := &rsa.PSSOptions{SaltLength: p.SaltLength, Hash: p.Hash.Hash}
		if err := rsa.VerifyPSS(pub, p.Hash.Hash, hashed, sig, opts); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrSignatureInvalid, alg, err)
		}
		return nil
	}
	// crypto/rsa cannot express a zero salt or an MGF1 hash different from
	// the message hash: verify EMSA-PSS directly.
	if err := verifyPSS(pub, p, hashed, sig); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSignatureInvalid, alg, err)
	}
	return nil
}

func verifyECDSA(pub *PublicKey, alg SignatureAlgorithm, signed, sig []byte) error {
	hashed := alg.Digest.Sum(signed)
	var ok bool
	switch {
	case alg.Scheme == SchemeECDSAPlain:
		ok = ecc.VerifyPlain(pub.EC, hashed, sig)
	case pub.ECDSA != nil:
		ok = ecdsa.VerifyASN1(pub.ECDSA, hashed, sig)
	default:
		ok = ecc.VerifyASN1(pub.EC, hashed, sig)
	}
	if !ok {
		return fmt.Errorf("%w: %s over %s does not verify", ErrSignatureInvalid, alg, pub.EC.Curve)
	}
	return nil
}
