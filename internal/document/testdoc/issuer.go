package testdoc

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/netid/netid/internal/document"
)

// The crypto suites an Issuer can use, named as in the rest of netid.
const (
	SuiteIntl = "intl" // ECDSA P-256 (or RSA-PSS) with SHA-256
	SuiteSM   = "sm"   // SM2 with SM3 (GB/T 32918, GB/T 32905)
)

// Validity periods of the test PKI. Real CSCAs live 13 to 15 years and
// document signers a few years (ICAO 9303 part 12, 5.1).
const (
	cscaBackdate   = 5 * 365 * 24 * time.Hour  // so that the expired signer was issued while the CSCA was valid
	cscaLifetime   = 15 * 365 * 24 * time.Hour // counted from the creation time
	signerLifetime = 3 * 365 * 24 * time.Hour
	crlLifetime    = 90 * 24 * time.Hour
)

// ErrSuite is returned for a suite name other than SuiteIntl and SuiteSM,
// or an option that the suite does not support.
var ErrSuite = errors.New("testdoc: unsupported crypto suite")

// Issuer is a synthetic document-issuing state: a TEST country signing CA
// (CSCA) and the document signers (DS) it certified. Besides the signer of
// valid documents it holds two signers for broken variants: one whose
// certificate has expired and one that the CSCA's CRL revokes.
//
// An Issuer is safe for concurrent use once created.
type Issuer struct {
	suite        string
	rsaPSS       bool
	country      string // ISO 3166-1 alpha-2, for certificate subjects
	issuingState string // ICAO 9303 code for MRZs: ISO alpha-3, "D" for Germany
	now          func() time.Time

	csca    *party
	ds      *party // signs valid documents
	expired *party // certificate validity ended a year ago
	revoked *party // listed on the CSCA's CRL

	rogueMu sync.Mutex
	rogue   *Issuer // the untrusted issuer of the wrong-signer variant
}

// party is one certificate and its private key.
type party struct {
	der  []byte
	cert *certInfo
	key  crypto.Signer
}

// Option configures NewIssuer and LoadIssuer.
type Option func(*issuerConfig)

type issuerConfig struct {
	now    func() time.Time
	rsaPSS bool
	label  string
}

// WithClock sets the clock used for certificate validity, CRL dates and
// signing times. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *issuerConfig) { c.now = now }
}

// WithRSAPSS makes an intl Issuer use RSA 2048-bit keys with RSASSA-PSS and
// SHA-256 instead of ECDSA P-256, as many real passports do. NewIssuer
// refuses it for the sm suite.
func WithRSAPSS() Option {
	return func(c *issuerConfig) { c.rsaPSS = true }
}

// withLabel adds a word to the subject names; it distinguishes the untrusted
// issuer used for the wrong-signer variant.
func withLabel(label string) Option {
	return func(c *issuerConfig) { c.label = label }
}

// NewIssuer creates a TEST CSCA for country (ISO 3166-1 alpha-2 such as
// "CN", or alpha-3 such as "CHN") in the given suite, and the document
// signers it certifies. Keys are fresh and random.
//
// The CSCA is self-signed, a CA with keyUsage keyCertSign and cRLSign,
// valid from five years ago to fifteen years from now, with subject
// C=<country>, O=netid TEST, CN=netid TEST CSCA <suite>. Document signers
// have keyUsage digitalSignature and three-year validity.
func NewIssuer(suite, country string, opts ...Option) (*Issuer, error) {
	cfg := issuerConfig{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	iss, err := newIssuerShell(suite, country, cfg)
	if err != nil {
		return nil, err
	}
	now := iss.now().UTC().Truncate(time.Second)
	label := "TEST"
	if cfg.label != "" {
		label = "TEST " + cfg.label
	}
	org := "netid " + label
	iss.csca, err = iss.newParty(nil, certSpec{
		org: org, cn: fmt.Sprintf("netid %s CSCA %s", label, suite),
		notBefore: now.Add(-cscaBackdate), notAfter: now.Add(cscaLifetime), ca: true,
	})
	if err != nil {
		return nil, fmt.Errorf("testdoc: CSCA: %w", err)
	}
	signers := []struct {
		p         **party
		cn        string
		notBefore time.Time
		notAfter  time.Time
	}{
		{&iss.ds, "Document Signer", now.Add(-24 * time.Hour), now.Add(signerLifetime)},
		{&iss.expired, "Document Signer (expired)", now.Add(-4 * 365 * 24 * time.Hour), now.Add(-365 * 24 * time.Hour)},
		{&iss.revoked, "Document Signer (revoked)", now.Add(-30 * 24 * time.Hour), now.Add(signerLifetime)},
	}
	for _, s := range signers {
		*s.p, err = iss.newParty(iss.csca, certSpec{
			org: org, cn: fmt.Sprintf("netid %s %s %s", label, s.cn, suite),
			notBefore: s.notBefore, notAfter: s.notAfter,
		})
		if err != nil {
			return nil, fmt.Errorf("testdoc: %s: %w", s.cn, err)
		}
	}
	return iss, nil
}

// newIssuerShell checks the suite and country and fills everything but the
// certificates.
func newIssuerShell(suite, country string, cfg issuerConfig) (*Issuer, error) {
	switch suite {
	case SuiteIntl:
	case SuiteSM:
		if cfg.rsaPSS {
			return nil, fmt.Errorf("%w: RSA-PSS is an intl option", ErrSuite)
		}
	default:
		return nil, fmt.Errorf("%w: %q (want %q or %q)", ErrSuite, suite, SuiteIntl, SuiteSM)
	}
	alpha2, state, err := countryCodes(country)
	if err != nil {
		return nil, err
	}
	return &Issuer{suite: suite, rsaPSS: cfg.rsaPSS, country: alpha2, issuingState: state, now: cfg.now}, nil
}

// countryCodes returns the ISO 3166-1 alpha-2 code of country (for the C
// attribute of certificate names, which must be alpha-2) and its ICAO 9303
// code (for MRZs: alpha-3, except "D" for Germany).
func countryCodes(country string) (alpha2, icao string, err error) {
	r, err := language.ParseRegion(strings.ToUpper(country))
	if err != nil || !r.IsCountry() || len(r.String()) != 2 {
		return "", "", fmt.Errorf("testdoc: country %q is not an ISO 3166-1 country code: %w", country, document.ErrCountry)
	}
	alpha2, icao = r.String(), r.ISO3()
	if alpha2 == "DE" {
		icao = "D" // ICAO 9303 part 3: Germany writes D<< in MRZs
	}
	if !document.KnownCountry(icao) {
		return "", "", fmt.Errorf("testdoc: country %q has no ICAO 9303 code: %w", country, document.ErrCountry)
	}
	return alpha2, icao, nil
}

// Suite returns SuiteIntl or SuiteSM.
func (iss *Issuer) Suite() string { return iss.suite }

// Country returns the ISO 3166-1 alpha-2 code of the issuing state.
func (iss *Issuer) Country() string { return iss.country }

// IssuingState returns the ICAO 9303 code written in MRZs ("CHN", "D", ...).
func (iss *Issuer) IssuingState() string { return iss.issuingState }

// CSCACertificate returns the DER-encoded CSCA certificate.
func (iss *Issuer) CSCACertificate() []byte { return clone(iss.csca.der) }

// SignerCertificate returns the DER-encoded certificate of the document
// signer that signs valid documents.
func (iss *Issuer) SignerCertificate() []byte { return clone(iss.ds.der) }

// RevokedSerial returns the serial number of the document signer that the
// CSCA's CRL revokes.
func (iss *Issuer) RevokedSerial() *big.Int { return new(big.Int).Set(iss.revoked.cert.serial) }

// revocationTime is when the revoked signer was revoked: a day after its
// certificate was issued, well before any chip it signs, so that no reading
// of the CRL (signature time against revocation time) accepts its chips.
func (iss *Issuer) revocationTime() time.Time {
	return iss.revoked.cert.notBefore.Add(24 * time.Hour)
}

// newParty makes a key and a certificate signed by parent, or self-signed
// when parent is nil.
func (iss *Issuer) newParty(parent *party, spec certSpec) (*party, error) {
	key, err := iss.generateKey()
	if err != nil {
		return nil, err
	}
	spec.country = iss.country
	spec.serial, err = randomSerial()
	if err != nil {
		return nil, err
	}
	der, err := iss.createCertificate(spec, key, parent)
	if err != nil {
		return nil, err
	}
	info, err := parseCertInfo(der)
	if err != nil {
		return nil, err
	}
	return &party{der: der, cert: info, key: key}, nil
}

// randomSerial returns a positive serial of at most 64 bits, well within the
// 20 octets RFC 5280 allows.
func randomSerial() (*big.Int, error) {
	max := new(big.Int).Lsh(big.NewInt(1), 63)
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		return nil, err
	}
	return n.Add(n, big.NewInt(1)), nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
