package credential

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/netid/netid/internal/crypto/suite"
)

// VerifiedCertificate is what VerifyCertificate establishes about an
// internet certificate.
type VerifiedCertificate struct {
	InternetNumber InternetNumber
	Serial         *big.Int
	// CAKeyID is the id of the CA key that issued it (its authority key
	// identifier): the CRL to consult is that CA's.
	CAKeyID string
	// DevicePublicKey is the key that signs presentations: an
	// *ecdsa.PublicKey on P-256 or SM2.
	DevicePublicKey crypto.PublicKey
	Commitments     []Commitment
	NotBefore       time.Time
	NotAfter        time.Time
}

// VerifyCertificate checks offline, as a relying party or the online
// verification API does, that cert is an internet certificate valid at
// time at: a chain to one of caCerts (the netid CA certificates, GET
// /ca.pem) verified with suite s, within its validity, usable for client
// authentication with a digitalSignature key usage, not a CA, with an
// internet number as subject (CN and serialNumber equal, canonical), a
// device key the suite certifies, and a well-formed commitments extension
// if any. It does not check revocation: that needs a CRL (VerifyCRL) or
// OCSP (CreateOCSPRequest, ParseOCSPResponse).
//
// Errors wrap ErrCertificateInvalid, and the suite's error
// (suite.ErrUnknownAuthority, suite.ErrCertificateExpired,
// suite.ErrCertificateInvalid) when the chain is the cause.
func VerifyCertificate(s suite.Suite, cert *x509.Certificate, caCerts []*x509.Certificate, at time.Time) (*VerifiedCertificate, error) {
	out, _, err := verifyCertificate(s, cert, caCerts, at)
	return out, err
}

// verifyCertificate is VerifyCertificate, also returning the chains.
func verifyCertificate(s suite.Suite, cert *x509.Certificate, caCerts []*x509.Certificate, at time.Time) (*VerifiedCertificate, [][]*x509.Certificate, error) {
	if cert == nil {
		return nil, nil, fmt.Errorf("%w: no certificate", ErrCertificateInvalid)
	}
	chains, err := s.VerifyChain(cert, suite.VerifyOptions{
		Roots:     caCerts,
		At:        at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrCertificateInvalid, err)
	}
	out, err := checkLeaf(s, cert)
	if err != nil {
		return nil, nil, err
	}
	return out, chains, nil
}

// checkLeaf checks what the chain verification leaves to netid: the
// profile of an internet certificate.
func checkLeaf(s suite.Suite, cert *x509.Certificate) (*VerifiedCertificate, error) {
	invalid := func(format string, args ...any) (*VerifiedCertificate, error) {
		return nil, fmt.Errorf("%w: %s", ErrCertificateInvalid, fmt.Sprintf(format, args...))
	}
	if cert.IsCA {
		return invalid("a CA certificate")
	}
	if cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return invalid("no digitalSignature key usage")
	}
	cn, sn := cert.Subject.CommonName, cert.Subject.SerialNumber
	number, err := ParseInternetNumber(cn)
	if err != nil || string(number) != cn || sn != cn {
		return invalid("subject %q is not an internet number", cert.Subject.String())
	}
	if err := checkDevicePublicKey(s, cert.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateInvalid, err)
	}
	commitments, err := ParseCommitments(cert)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateInvalid, err)
	}
	return &VerifiedCertificate{
		InternetNumber:  number,
		Serial:          new(big.Int).Set(cert.SerialNumber),
		CAKeyID:         string(cert.AuthorityKeyId),
		DevicePublicKey: cert.PublicKey,
		Commitments:     commitments,
		NotBefore:       cert.NotBefore,
		NotAfter:        cert.NotAfter,
	}, nil
}

// checkDevicePublicKey is the check of parseDeviceKey for a key already
// parsed (and validated) by the suite: a comparison of curves instead of a
// round trip through DER, since it runs on every verification.
func checkDevicePublicKey(s suite.Suite, pub crypto.PublicKey) error {
	k, ok := pub.(*ecdsa.PublicKey)
	switch {
	case ok && k.Curve == elliptic.P256():
		return nil
	case ok && s.Name() == suite.SM && sm2.IsSM2PublicKey(k):
		return nil
	case s.Name() == suite.SM:
		return fmt.Errorf("%w: want ECDSA P-256 or SM2, got %T", ErrDeviceKey, pub)
	}
	return fmt.Errorf("%w: want ECDSA P-256, got %T", ErrDeviceKey, pub)
}
