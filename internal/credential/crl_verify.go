package credential

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/netid/netid/internal/crypto/suite"
)

// RevocationList is a CRL of one netid CA key whose signature VerifyCRL
// checked.
type RevocationList struct {
	// CAKeyID is the CA key that signed it (its authority key identifier).
	CAKeyID                string
	Number                 *big.Int
	ThisUpdate, NextUpdate time.Time
	// Revoked maps FormatSerial of each revoked serial to its entry.
	Revoked map[string]RevokedCertificate
}

// Lookup returns the CRL entry of serial, if it is revoked.
func (l *RevocationList) Lookup(serial *big.Int) (RevokedCertificate, bool) {
	r, ok := l.Revoked[FormatSerial(serial)]
	return r, ok
}

// VerifyCRL parses a DER CRL (GET /crl) and checks, for a relying party
// that verifies offline, that issuer (a netid CA certificate) signed it
// with the algorithm of suite s, that it names issuer, that it is current
// at time at (thisUpdate ≤ at < nextUpdate), and that it carries no
// critical extension (netid CRLs are complete CRLs of one CA: a delta CRL,
// an issuing distribution point or an indirect entry is not something
// netid issues). Errors wrap ErrCRL.
func VerifyCRL(s suite.Suite, der []byte, issuer *x509.Certificate, at time.Time) (*RevocationList, error) {
	var raw rawCRL
	var err error
	if s.Name() == suite.SM {
		raw, err = parseSMCRL(der, issuer)
	} else {
		raw, err = parseIntlCRL(der, issuer)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCRL, err)
	}
	if !bytes.Equal(raw.issuer, issuer.RawSubject) {
		return nil, fmt.Errorf("%w: issued by another CA", ErrCRL)
	}
	if raw.next.IsZero() || at.Before(raw.this) || !at.Before(raw.next) {
		return nil, fmt.Errorf("%w: valid from %v to %v, not at %v", ErrCRL, raw.this, raw.next, at)
	}
	for _, x := range raw.exts {
		if x.Critical {
			return nil, fmt.Errorf("%w: unsupported critical extension %v", ErrCRL, x.Id)
		}
	}
	l := &RevocationList{
		CAKeyID: string(raw.aki), Number: raw.number,
		ThisUpdate: raw.this, NextUpdate: raw.next,
		Revoked: make(map[string]RevokedCertificate, len(raw.entries)),
	}
	for _, e := range raw.entries {
		for _, x := range e.exts {
			if x.Critical {
				return nil, fmt.Errorf("%w: entry %x: unsupported critical extension %v", ErrCRL, e.serial, x.Id)
			}
		}
		serial := FormatSerial(e.serial)
		l.Revoked[serial] = RevokedCertificate{Serial: serial, RevokedAt: e.at, Reason: RevocationReason(e.reason)}
	}
	return l, nil
}

// rawCRL is what VerifyCRL needs of either parser's result.
type rawCRL struct {
	issuer, aki []byte
	number      *big.Int
	this, next  time.Time
	exts        []pkix.Extension
	entries     []rawCRLEntry
}

type rawCRLEntry struct {
	serial *big.Int
	at     time.Time
	reason int
	exts   []pkix.Extension
}

func parseIntlCRL(der []byte, issuer *x509.Certificate) (rawCRL, error) {
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return rawCRL{}, err
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		return rawCRL{}, err
	}
	out := rawCRL{issuer: rl.RawIssuer, aki: rl.AuthorityKeyId, number: rl.Number, this: rl.ThisUpdate, next: rl.NextUpdate, exts: rl.Extensions}
	for _, e := range rl.RevokedCertificateEntries {
		out.entries = append(out.entries, rawCRLEntry{serial: e.SerialNumber, at: e.RevocationTime, reason: e.ReasonCode, exts: e.Extensions})
	}
	return out, nil
}

// parseSMCRL parses and checks with smx509, which verifies SM2-with-SM3
// (crypto/x509 does not).
func parseSMCRL(der []byte, issuer *x509.Certificate) (rawCRL, error) {
	rl, err := smx509.ParseRevocationList(der)
	if err != nil {
		return rawCRL{}, err
	}
	smIssuer, err := smx509.ParseCertificate(issuer.Raw)
	if err != nil {
		return rawCRL{}, err
	}
	if rl.SignatureAlgorithm != smx509.SM2WithSM3 {
		return rawCRL{}, fmt.Errorf("signature algorithm %v, the sm suite signs with SM2-with-SM3", rl.SignatureAlgorithm)
	}
	if err := rl.CheckSignatureFrom(smIssuer); err != nil {
		return rawCRL{}, err
	}
	out := rawCRL{issuer: rl.RawIssuer, aki: rl.AuthorityKeyId, number: rl.Number, this: rl.ThisUpdate, next: rl.NextUpdate, exts: rl.Extensions}
	for _, e := range rl.RevokedCertificateEntries {
		out.entries = append(out.entries, rawCRLEntry{serial: e.SerialNumber, at: e.RevocationTime, reason: e.ReasonCode, exts: e.Extensions})
	}
	return out, nil
}
