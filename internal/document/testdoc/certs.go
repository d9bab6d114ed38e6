package testdoc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// Object identifiers used in certificates and in the SOD.
var (
	oidSHA256       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSM3          = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
	oidECDSASHA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidRSASSAPSS    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidSM2WithSM3   = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	asn1NULL        = asn1.RawValue{Tag: asn1.TagNull, FullBytes: []byte{asn1.TagNull, 0}}
	rsaPSSSaltBytes = 32 // the SHA-256 output length, as RFC 4055 recommends
)

// certSpec is what differs between the certificates of the test PKI.
type certSpec struct {
	country   string
	org, cn   string
	serial    *big.Int
	notBefore time.Time
	notAfter  time.Time
	ca        bool
}

// certInfo is what the generator needs to know about a certificate. It is
// parsed with smx509, which reads the ECDSA, RSA and SM2 certificates alike.
type certInfo struct {
	rawIssuer []byte
	serial    *big.Int
	ski       []byte
	notBefore time.Time
	notAfter  time.Time
	publicKey crypto.PublicKey
	parsed    *smx509.Certificate
}

func parseCertInfo(der []byte) (*certInfo, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return &certInfo{
		rawIssuer: c.RawIssuer, serial: c.SerialNumber, ski: c.SubjectKeyId,
		notBefore: c.NotBefore, notAfter: c.NotAfter, publicKey: c.PublicKey, parsed: c,
	}, nil
}

// generateKey makes a key of the issuer's algorithm.
func (iss *Issuer) generateKey() (crypto.Signer, error) {
	switch {
	case iss.suite == SuiteSM:
		return sm2.GenerateKey(rand.Reader)
	case iss.rsaPSS:
		return rsa.GenerateKey(rand.Reader, 2048)
	default:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
}

// subjectKeyID derives a key identifier from the public key: the leftmost
// 160 bits of the SHA-256 of the SubjectPublicKeyInfo (RFC 7093, section 2,
// method 1 applied to the whole SPKI). It only has to be unique.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(spki)
	return sum[:20], nil
}

// createCertificate issues a certificate for key signed by parent (or
// self-signed): crypto/x509 for the intl suite, gmsm's smx509 for SM2 with
// SM3, which crypto/x509 cannot produce.
func (iss *Issuer) createCertificate(spec certSpec, key crypto.Signer, parent *party) ([]byte, error) {
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	name := pkix.Name{Country: []string{spec.country}, Organization: []string{spec.org}, CommonName: spec.cn}
	usage := x509.KeyUsageDigitalSignature
	if spec.ca {
		usage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	signer := key
	if parent != nil {
		signer = parent.key
	}
	if iss.suite == SuiteSM {
		tmpl := &smx509.Certificate{
			SerialNumber: spec.serial, Subject: name, NotBefore: spec.notBefore, NotAfter: spec.notAfter,
			KeyUsage: smx509.KeyUsage(usage), BasicConstraintsValid: true, IsCA: spec.ca,
			MaxPathLenZero: spec.ca, SubjectKeyId: ski, SignatureAlgorithm: smx509.SM2WithSM3,
		}
		parentCert := tmpl
		if parent != nil {
			parentCert = parent.cert.parsed
		}
		return smx509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
	}
	tmpl := &x509.Certificate{
		SerialNumber: spec.serial, Subject: name, NotBefore: spec.notBefore, NotAfter: spec.notAfter,
		KeyUsage: usage, BasicConstraintsValid: true, IsCA: spec.ca, MaxPathLenZero: spec.ca,
		SubjectKeyId: ski,
	}
	if iss.rsaPSS {
		tmpl.SignatureAlgorithm = x509.SHA256WithRSAPSS
	}
	parentCert := tmpl
	if parent != nil {
		parentCert, err = x509.ParseCertificate(parent.der)
		if err != nil {
			return nil, err
		}
	}
	return x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
}

// createCRL returns a DER CRL from the CSCA listing the revoked signer,
// valid from now for crlLifetime.
func (iss *Issuer) createCRL(now time.Time) ([]byte, error) {
	now = now.UTC().Truncate(time.Second)
	entry := struct {
		serial *big.Int
		at     time.Time
	}{iss.revoked.cert.serial, iss.revocationTime()}
	// The CRL number only has to grow between CRLs of one CSCA; seconds
	// since the epoch do, across restarts.
	number := big.NewInt(now.Unix())
	const keyCompromise = 1 // RFC 5280 5.3.1: every signature by the key is suspect
	if iss.suite == SuiteSM {
		return smx509.CreateRevocationList(rand.Reader, &smx509.RevocationList{
			Number: number, ThisUpdate: now, NextUpdate: now.Add(crlLifetime),
			SignatureAlgorithm: smx509.SM2WithSM3,
			RevokedCertificateEntries: []smx509.RevocationListEntry{
				{SerialNumber: entry.serial, RevocationTime: entry.at, ReasonCode: keyCompromise},
			},
		}, iss.csca.cert.parsed, iss.csca.key)
	}
	ca, err := x509.ParseCertificate(iss.csca.der)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.RevocationList{
		Number: number, ThisUpdate: now, NextUpdate: now.Add(crlLifetime),
		RevokedCertificateEntries: []x509.RevocationListEntry{
			{SerialNumber: entry.serial, RevocationTime: entry.at, ReasonCode: keyCompromise},
		},
	}
	if iss.rsaPSS {
		tmpl.SignatureAlgorithm = x509.SHA256WithRSAPSS
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, ca, iss.csca.key)
}

// digestAlgorithm is the hash of data groups and signed attributes: SHA-256
// in the intl suite, SM3 in the sm suite.
func (iss *Issuer) digestAlgorithm() (pkix.AlgorithmIdentifier, func() hash.Hash) {
	if iss.suite == SuiteSM {
		return pkix.AlgorithmIdentifier{Algorithm: oidSM3}, sm3.New
	}
	return pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, sha256.New
}

// signatureAlgorithm is the SignerInfo signatureAlgorithm.
func (iss *Issuer) signatureAlgorithm() (pkix.AlgorithmIdentifier, error) {
	switch {
	case iss.suite == SuiteSM:
		return pkix.AlgorithmIdentifier{Algorithm: oidSM2WithSM3}, nil
	case iss.rsaPSS:
		params, err := rsaPSSParams()
		if err != nil {
			return pkix.AlgorithmIdentifier{}, err
		}
		return pkix.AlgorithmIdentifier{Algorithm: oidRSASSAPSS, Parameters: params}, nil
	default:
		return pkix.AlgorithmIdentifier{Algorithm: oidECDSASHA256}, nil
	}
}

// rsaPSSParams encodes RSASSA-PSS-params (RFC 4055 section 3.1) for SHA-256,
// MGF1 with SHA-256 and a 32-byte salt; the trailer field keeps its default.
func rsaPSSParams() (asn1.RawValue, error) {
	sha := pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1NULL}
	shaDER, err := asn1.Marshal(sha)
	if err != nil {
		return asn1.RawValue{}, err
	}
	params := struct {
		Hash       pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
		MGF        pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
		SaltLength int                      `asn1:"explicit,tag:2"`
	}{
		Hash:       sha,
		MGF:        pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: shaDER}},
		SaltLength: rsaPSSSaltBytes,
	}
	der, err := asn1.Marshal(params)
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{FullBytes: der}, nil
}

// sign signs msg (the DER of the signed attributes) with key in the
// issuer's algorithm. SM2 hashes the message itself, prefixed with Z_A over
// the default user ID "1234567812345678" (GB/T 32918.2, GM/T 0009), as CMS
// with SM2 expects (GB/T 35275).
func (iss *Issuer) sign(key crypto.Signer, msg []byte) ([]byte, error) {
	if iss.suite == SuiteSM {
		return key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	}
	digest := sha256.Sum256(msg)
	if iss.rsaPSS {
		return key.Sign(rand.Reader, digest[:], &rsa.PSSOptions{SaltLength: rsaPSSSaltBytes, Hash: crypto.SHA256})
	}
	return key.Sign(rand.Reader, digest[:], crypto.SHA256)
}
