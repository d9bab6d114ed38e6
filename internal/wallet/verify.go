package wallet

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

// parsePEMCertificates returns the CERTIFICATE blocks of data, DER.
// Anything else in data is refused.
func parsePEMCertificates(data []byte) ([][]byte, error) {
	var ders [][]byte
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("not PEM")
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) > 0 {
			return nil, fmt.Errorf("PEM block %q is not a CERTIFICATE", block.Type)
		}
		ders = append(ders, block.Bytes)
		rest = bytes.TrimSpace(rest)
	}
	if len(ders) == 0 {
		return nil, errors.New("no certificate")
	}
	return ders, nil
}

// caSuite returns the suite of a CA certificate: intl for a P-256 key, sm
// for an SM2 key. The device key does not tell: the sm suite certifies
// P-256 device keys too (credential.ParseCSR).
func caSuite(der []byte) (suite.Suite, *x509.Certificate, error) {
	var errs []error
	for _, n := range suite.Names() {
		s, err := suite.New(n)
		if err != nil {
			return nil, nil, err
		}
		c, err := s.ParseCertificate(der)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.MarshalPublicKey(c.PublicKey); err != nil {
			errs = append(errs, err)
			continue
		}
		return s, c, nil
	}
	return nil, nil, fmt.Errorf("the CA certificate is of neither suite: %w", errors.Join(errs...))
}

// parseCAs parses the CA certificates of caPEM, all of one suite.
func parseCAs(caPEM []byte) (suite.Suite, []*x509.Certificate, error) {
	ders, err := parsePEMCertificates(caPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificates: %w", err)
	}
	var s suite.Suite
	var cas []*x509.Certificate
	for _, der := range ders {
		cs, c, err := caSuite(der)
		if err != nil {
			return nil, nil, err
		}
		if s != nil && cs.Name() != s.Name() {
			return nil, nil, errors.New("the CA certificates mix suites")
		}
		s = cs
		cas = append(cas, c)
	}
	return s, cas, nil
}

// VerifyAccount checks, offline, what an enrolment returned before the
// wallet relies on it: the certificate chains to the CA certificates
// returned with it and is a valid internet certificate at now
// (credential.VerifyCertificate); it is for internet number and serial
// the server named and for this wallet's device key; every opening opens
// the certificate's commitment of its attribute and every commitment has
// its opening (the wallet needs them to disclose); and the dynamic-code
// parameters are usable. Errors wrap ErrCertificate.
func VerifyAccount(a *Account, device crypto.PublicKey, now time.Time) (*credential.VerifiedCertificate, error) {
	fail := func(format string, args ...any) (*credential.VerifiedCertificate, error) {
		return nil, fmt.Errorf("%w: %s", ErrCertificate, fmt.Sprintf(format, args...))
	}
	s, cas, err := parseCAs([]byte(a.CAPEM))
	if err != nil {
		return fail("%v", err)
	}
	ders, err := parsePEMCertificates([]byte(a.CertificatePEM))
	if err != nil {
		return fail("certificate: %v", err)
	}
	if len(ders) != 1 {
		return fail("%d certificates where one was expected", len(ders))
	}
	cert, err := s.ParseCertificate(ders[0])
	if err != nil {
		return fail("certificate: %v", err)
	}
	vc, err := credential.VerifyCertificate(s, cert, cas, now)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if string(vc.InternetNumber) != a.InternetNumber {
		return fail("the certificate is for internet number %s, the server said %s", vc.InternetNumber, cleanText(a.InternetNumber))
	}
	if serial := credential.FormatSerial(vc.Serial); !sameSerial(serial, a.Serial) {
		return fail("the certificate's serial is %s, the server said %s", serial, cleanText(a.Serial))
	}
	if err := sameKey(device, cert); err != nil {
		return fail("%v", err)
	}
	if err := checkOpenings(vc.Commitments, a.Openings); err != nil {
		return fail("%v", err)
	}
	if _, err := a.DynamicCode.generator(); err != nil {
		return fail("%v", err)
	}
	return vc, nil
}

// sameSerial compares two hexadecimal serials as numbers.
func sameSerial(a, b string) bool {
	x, err1 := credential.ParseSerial(a)
	y, err2 := credential.ParseSerial(b)
	return err1 == nil && err2 == nil && x.Cmp(y) == 0
}

// sameKey checks that cert certifies the device key: a certificate for
// someone else's key would make every presentation fail.
func sameKey(device crypto.PublicKey, cert *x509.Certificate) error {
	for _, n := range suite.Names() {
		s, _ := suite.New(n)
		if spki, err := s.MarshalPublicKey(device); err == nil {
			if !bytes.Equal(spki, cert.RawSubjectPublicKeyInfo) {
				return errors.New("the certificate is for another key than this wallet's device key")
			}
			return nil
		}
	}
	return fmt.Errorf("the device key %T is of neither suite", device)
}

// checkOpenings checks that openings and commitments correspond one to
// one and that each opening opens its commitment.
func checkOpenings(cs []credential.Commitment, ops []Opening) error {
	byName := make(map[string]credential.Commitment, len(cs))
	for _, c := range cs {
		byName[c.Attribute] = c
	}
	seen := make(map[string]bool, len(ops))
	for _, o := range ops {
		c, ok := byName[o.Attribute]
		if !ok {
			return fmt.Errorf("the opening of %q has no commitment in the certificate", cleanText(o.Attribute))
		}
		if seen[o.Attribute] {
			return fmt.Errorf("two openings of %q", cleanText(o.Attribute))
		}
		seen[o.Attribute] = true
		if err := c.Verify(credential.Opening{Attribute: o.Attribute, Value: o.Value, Salt: o.Salt}); err != nil {
			return fmt.Errorf("the opening of %q does not open its commitment: %w", o.Attribute, err)
		}
	}
	for _, c := range cs {
		if !seen[c.Attribute] {
			return fmt.Errorf("the commitment to %q came without its opening", c.Attribute)
		}
	}
	return nil
}

// Certificate returns the wallet's internet certificate, parsed with the
// suite of its CA. It returns ErrNotEnrolled before enrolment.
func (w *Wallet) Certificate() (*x509.Certificate, error) {
	a := w.state.Account
	if a == nil {
		return nil, ErrNotEnrolled
	}
	s, _, err := parseCAs([]byte(a.CAPEM))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWalletFormat, err)
	}
	ders, err := parsePEMCertificates([]byte(a.CertificatePEM))
	if err != nil || len(ders) != 1 {
		return nil, fmt.Errorf("%w: the stored certificate is not one PEM certificate", ErrWalletFormat)
	}
	return s.ParseCertificate(ders[0])
}
