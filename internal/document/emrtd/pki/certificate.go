package pki

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// MaxCertificateSize bounds the DER size of one certificate. CSCA
// certificates are a few kilobytes; the bound keeps hostile input cheap.
const MaxCertificateSize = 64 << 10

// Certificate is an X.509 certificate as used by travel-document PKIs
// (ICAO 9303 part 12 section 7): CSCA, link, document signer and
// master-list signer certificates.
//
// It is parsed by this package rather than crypto/x509 because real CSCA
// and document signer certificates use brainpool curves and explicit EC
// parameters, which crypto/x509 refuses; the public key still goes through
// crypto/x509 when it accepts it (see ParsePublicKey).
type Certificate struct {
	Raw                     []byte // complete DER
	RawTBSCertificate       []byte // the signed part
	RawSubjectPublicKeyInfo []byte

	Version      int // 1, 2 or 3
	SerialNumber *big.Int
	Issuer       Name
	Subject      Name
	NotBefore    time.Time
	NotAfter     time.Time

	// SignatureAlgorithm is the outer signatureAlgorithm, with its
	// parameters (RSASSA-PSS parameters live there).
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte

	// PublicKey is the subject's key; nil when its algorithm is not
	// supported, in which case PublicKeyErr says why.
	PublicKey    *PublicKey
	PublicKeyErr error

	SubjectKeyID   []byte
	AuthorityKeyID []byte

	BasicConstraintsValid bool
	IsCA                  bool
	// KeyUsage is the keyUsage extension; KeyUsagePresent reports whether
	// the certificate has one.
	KeyUsage        x509.KeyUsage
	KeyUsagePresent bool
	// PrivateKeyUsage is the privateKeyUsagePeriod extension (RFC 3280
	// section 4.2.1.4), which ICAO requires in document signer
	// certificates; zero times when absent.
	PrivateKeyNotBefore, PrivateKeyNotAfter time.Time

	Extensions []pkix.Extension
	// UnhandledCriticalExtensions lists critical extensions this package
	// does not interpret. They are reported, not enforced: ICAO profiles
	// mark some private extensions critical.
	UnhandledCriticalExtensions []asn1.ObjectIdentifier
}

type certificateASN struct {
	TBS                asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

type tbsASN struct {
	Version            int `asn1:"optional,explicit,default:0,tag:0"`
	SerialNumber       asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Issuer             asn1.RawValue
	Validity           validityASN
	Subject            asn1.RawValue
	PublicKey          asn1.RawValue
	IssuerUniqueID     asn1.BitString   `asn1:"optional,tag:1"`
	SubjectUniqueID    asn1.BitString   `asn1:"optional,tag:2"`
	Extensions         []pkix.Extension `asn1:"optional,explicit,tag:3"`
}

type validityASN struct {
	NotBefore, NotAfter time.Time
}

// ParseCertificate decodes a DER certificate. It refuses trailing data and
// structural errors (ErrMalformed); an unsupported public key algorithm is
// not an error: PublicKey is nil and PublicKeyErr is set.
func ParseCertificate(der []byte) (*Certificate, error) {
	if len(der) > MaxCertificateSize {
		return nil, fmt.Errorf("%w: certificate of %d bytes", ErrMalformed, len(der))
	}
	var outer certificateASN
	rest, err := asn1.Unmarshal(der, &outer)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: certificate: trailing data", ErrMalformed)
	}
	var tbs tbsASN
	if rest, err := asn1.Unmarshal(outer.TBS.FullBytes, &tbs); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: tbsCertificate: %v", ErrMalformed, err)
	}
	if tbs.Version < 0 || tbs.Version > 2 {
		return nil, fmt.Errorf("%w: certificate version %d", ErrMalformed, tbs.Version+1)
	}
	if !tbs.SignatureAlgorithm.Algorithm.Equal(outer.SignatureAlgorithm.Algorithm) {
		return nil, fmt.Errorf("%w: signature algorithm %v in tbsCertificate differs from %v", ErrMalformed,
			tbs.SignatureAlgorithm.Algorithm, outer.SignatureAlgorithm.Algorithm)
	}
	if outer.Signature.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: signature is not a whole number of bytes", ErrMalformed)
	}
	serial, err := integer(tbs.SerialNumber)
	if err != nil {
		return nil, fmt.Errorf("%w: serial number: %v", ErrMalformed, err)
	}
	c := &Certificate{
		Raw:                     der,
		RawTBSCertificate:       outer.TBS.FullBytes,
		RawSubjectPublicKeyInfo: tbs.PublicKey.FullBytes,
		Version:                 tbs.Version + 1,
		SerialNumber:            serial,
		NotBefore:               tbs.Validity.NotBefore,
		NotAfter:                tbs.Validity.NotAfter,
		SignatureAlgorithm:      outer.SignatureAlgorithm,
		Signature:               outer.Signature.Bytes,
		Extensions:              tbs.Extensions,
	}
	if c.Issuer, err = ParseName(tbs.Issuer.FullBytes); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if c.Subject, err = ParseName(tbs.Subject.FullBytes); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	c.PublicKey, c.PublicKeyErr = ParsePublicKey(tbs.PublicKey.FullBytes)
	if err := c.parseExtensions(); err != nil {
		return nil, err
	}
	return c, nil
}

// integer decodes a DER INTEGER of any sign, tolerating the non-minimal
// encodings some issuers use for serial numbers.
func integer(v asn1.RawValue) (*big.Int, error) {
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagInteger || v.IsCompound || len(v.Bytes) == 0 {
		return nil, fmt.Errorf("not an INTEGER")
	}
	if len(v.Bytes) > 64 {
		return nil, fmt.Errorf("INTEGER of %d bytes", len(v.Bytes))
	}
	n := new(big.Int).SetBytes(v.Bytes)
	if v.Bytes[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(v.Bytes))))
	}
	return n, nil
}

// Fingerprint returns the SHA-256 digest of the certificate's DER.
func (c *Certificate) Fingerprint() [32]byte { return sha256.Sum256(c.Raw) }

// Equal reports whether two certificates have the same encoding.
func (c *Certificate) Equal(d *Certificate) bool { return bytes.Equal(c.Raw, d.Raw) }

// ValidAt reports whether t lies within the certificate's validity period
// (both ends inclusive, RFC 5280 section 4.1.2.5).
func (c *Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// SelfIssued reports whether the subject and issuer names are equal (a
// CSCA root, or a link certificate between two keys of one CSCA).
func (c *Certificate) SelfIssued() bool { return c.Subject.Equal(c.Issuer) }

// CheckSignatureFrom verifies that issuer's key signed c, returning the
// resolved algorithm.
func (c *Certificate) CheckSignatureFrom(issuer *Certificate) (SignatureAlgorithm, error) {
	alg, err := ResolveSignatureAlgorithm(c.SignatureAlgorithm, nil)
	if err != nil {
		return alg, err
	}
	if issuer.PublicKey == nil {
		return alg, fmt.Errorf("%w: issuer key: %v", ErrUnsupportedAlgorithm, issuer.PublicKeyErr)
	}
	return alg, VerifySignature(issuer.PublicKey, alg, c.RawTBSCertificate, c.Signature)
}
