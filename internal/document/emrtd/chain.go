package emrtd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// issuerMatch is the trusted certificate that issued a certificate.
type issuerMatch struct {
	anchor    *Anchor
	algorithm pki.SignatureAlgorithm
}

// issuerOf finds the trusted CSCA that issued cert, trying every candidate
// (a CSCA with several keys has several certificates of one name):
//
//  1. candidates are the anchors whose subject equals cert's issuer, plus
//     those whose subject key identifier equals cert's authority key
//     identifier; a candidate whose key identifier contradicts cert's
//     authority key identifier is dropped;
//  2. cert's signature must verify with the candidate's key;
//  3. the candidate must have been valid when cert was issued (its
//     notBefore): the chain model, see the package documentation.
//
// rootsOnly restricts candidates to certificates trusted directly (for
// master-list signers). The error wraps ErrUnknownCSCA when no candidate
// exists or none has cert's key, ErrSignatureInvalid when the candidate
// that cert names by key identifier does not verify its signature, and
// ErrSignerExpired when the only verifying candidates were outside their
// validity at cert's issuance.
func (s *TrustStore) issuerOf(cert *pki.Certificate, rootsOnly bool) (*issuerMatch, error) {
	var candidates []*Anchor
	seen := map[*Anchor]bool{}
	consider := func(as []*Anchor) {
		for _, a := range as {
			if seen[a] || rootsOnly && !a.Root {
				continue
			}
			seen[a] = true
			ski := a.Certificate.SubjectKeyID
			if len(cert.AuthorityKeyID) > 0 && len(ski) > 0 && !bytes.Equal(cert.AuthorityKeyID, ski) {
				continue
			}
			candidates = append(candidates, a)
		}
	}
	consider(s.byName[cert.Issuer.Key()])
	if len(cert.AuthorityKeyID) > 0 {
		consider(s.byKeyID[hex.EncodeToString(cert.AuthorityKeyID)])
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%w: no trusted CSCA %s%s", ErrUnknownCSCA, cert.Issuer, keyIDNote(cert.AuthorityKeyID))
	}
	var sigErr, validityErr error
	keyNamed := false
	for _, a := range candidates {
		named := len(cert.AuthorityKeyID) > 0 && bytes.Equal(cert.AuthorityKeyID, a.Certificate.SubjectKeyID)
		keyNamed = keyNamed || named
		alg, err := cert.CheckSignatureFrom(a.Certificate)
		if err != nil {
			if named || sigErr == nil {
				sigErr = err
			}
			continue
		}
		if !a.Certificate.ValidAt(cert.NotBefore) {
			validityErr = fmt.Errorf("%w: CSCA %s (valid %s to %s) was not valid when the certificate was issued (%s)",
				ErrSignerExpired, a.Certificate.Subject, day(a.Certificate.NotBefore), day(a.Certificate.NotAfter), day(cert.NotBefore))
			continue
		}
		return &issuerMatch{anchor: a, algorithm: alg}, nil
	}
	switch {
	case validityErr != nil:
		return nil, validityErr
	case keyNamed && errors.Is(sigErr, ErrSignatureInvalid):
		return nil, fmt.Errorf("certificate signature by CSCA %s: %w", cert.Issuer, sigErr)
	case keyNamed:
		return nil, sigErr
	}
	return nil, fmt.Errorf("%w: no trusted CSCA key named %s verifies the certificate (%d tried; last: %v)",
		ErrUnknownCSCA, cert.Issuer, len(candidates), sigErr)
}

func keyIDNote(id []byte) string {
	if len(id) == 0 {
		return ""
	}
	return " with key identifier " + hex.EncodeToString(id)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// verifyDocumentSigner checks a document signer certificate against the
// store at time at: issued by a trusted CSCA (issuerOf), valid at at, and
// not revoked by a CRL of its CSCA.
func (s *TrustStore) verifyDocumentSigner(ds *pki.Certificate, at time.Time) (*issuerMatch, error) {
	m, err := s.issuerOf(ds, false)
	if err != nil {
		return nil, err
	}
	if !ds.ValidAt(at) {
		return nil, fmt.Errorf("%w: %s is valid from %s to %s, not at %s", ErrSignerExpired,
			ds.Subject, ds.NotBefore.UTC().Format(time.RFC3339), ds.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if r := s.revoked(ds); r != nil {
		return nil, fmt.Errorf("%w: serial %X of %s is listed on the CRL %s (revoked %s)", ErrSignerRevoked,
			ds.SerialNumber, ds.Issuer, r.source, day(r.crl.Revoked[ds.SerialNumber.String()]))
	}
	return m, nil
}
