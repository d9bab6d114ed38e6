package credential

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/netid/netid/internal/crypto/suite"
)

// CRL is a signed certificate revocation list of one CA key (RFC 5280
// section 5), with what an HTTP layer needs to serve it.
type CRL struct {
	// DER is the CRL: the body of GET /crl (application/pkix-crl).
	DER []byte
	// CAKeyID is the CA key that signed it and whose certificates it lists.
	CAKeyID string
	// Number is its cRLNumber.
	Number int64
	// ThisUpdate and NextUpdate are its validity.
	ThisUpdate, NextUpdate time.Time
	// RefreshAt is when this node signs a newer one. HTTP responses may be
	// cached until then (Cache-Control: max-age).
	RefreshAt time.Time

	revocations uint64 // ca.revocations when it was signed
}

// CRL returns the CRL of CA key caKeyID, or of the active CA key when
// caKeyID is empty. Each CA key has its own CRL, listing the revoked,
// unexpired certificates it signed; a retiring key's CRL is still signed
// by that key (GET /crl?ca=<key id>, the distribution point named in each
// certificate), so certificates it issued stay checkable until they
// expire. Errors wrap ErrUnknownCA for a key that is not active or
// retiring.
//
// A node reuses a CRL for Config.CRLRefresh, or until it revokes a
// certificate itself, so GET /crl costs a map look-up. Each new CRL takes
// the next CRL number from the store in the same transaction that reads
// the revocations, so that across nodes a higher number never lists less.
func (ca *CA) CRL(ctx context.Context, caKeyID string) (*CRL, error) {
	var e *caEntry
	var err error
	if caKeyID == "" {
		e, _, err = ca.active(ctx)
	} else {
		e, err = ca.entryByID(ctx, caKeyID)
	}
	if err != nil {
		return nil, err
	}
	now := ca.now().UTC()
	ca.crlMu.Lock()
	defer ca.crlMu.Unlock()
	if c := ca.crls[e.keyID]; c != nil && now.Before(c.RefreshAt) && c.revocations == ca.revocations {
		cp := *c
		return &cp, nil
	}
	seen := ca.revocations
	c, err := ca.signCRL(ctx, e, now)
	if err != nil {
		return nil, err
	}
	c.revocations = seen
	ca.crls[e.keyID] = c
	cp := *c
	return &cp, nil
}

// revoked marks every cached CRL stale after a revocation on this node.
func (ca *CA) revoked() {
	ca.crlMu.Lock()
	ca.revocations++
	ca.crlMu.Unlock()
}

// signCRL makes a new CRL for CA entry e.
func (ca *CA) signCRL(ctx context.Context, e *caEntry, now time.Time) (*CRL, error) {
	var number int64
	var revoked []RevokedCertificate
	err := ca.st.InTx(ctx, func(ctx context.Context) error {
		var err error
		if number, err = ca.st.NextCRLNumber(ctx, e.keyID); err != nil {
			return err
		}
		revoked, err = ca.st.RevokedCertificates(ctx, e.keyID, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("credential: CRL of %s: %w", e.keyID, err)
	}
	signer, err := ca.keys.Signer(e.keyID)
	if err != nil {
		return nil, fmt.Errorf("credential: CRL of %s: %w", e.keyID, err)
	}
	thisUpdate := now.Truncate(time.Second)
	c := &CRL{
		CAKeyID:    e.keyID,
		Number:     number,
		ThisUpdate: thisUpdate,
		NextUpdate: thisUpdate.Add(ca.cfg.CRLValidity),
		RefreshAt:  now.Add(ca.cfg.CRLRefresh),
	}
	entries := make([]x509.RevocationListEntry, len(revoked))
	for i, r := range revoked {
		serial, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("credential: CRL of %s: stored serial %q is not hexadecimal", e.keyID, r.Serial)
		}
		// A zero reason (unspecified) is left out, as RFC 5280 section
		// 5.3.1 asks.
		entries[i] = x509.RevocationListEntry{SerialNumber: serial, RevocationTime: r.RevokedAt, ReasonCode: int(r.Reason)}
	}
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(number),
		ThisUpdate:                c.ThisUpdate,
		NextUpdate:                c.NextUpdate,
		RevokedCertificateEntries: entries,
	}
	if c.DER, err = createCRL(ca.suite, ca.rand, tmpl, e.cert, signer); err != nil {
		return nil, fmt.Errorf("credential: CRL of %s: %w", e.keyID, err)
	}
	return c, nil
}

// createCRL signs a CRL in suite s. crypto/x509 signs ECDSA P-256 but not
// SM2-with-SM3; gmsm's smx509, a fork of crypto/x509 that adds the SM
// algorithms, has the same CreateRevocationList, so the sm suite uses it on
// the same template.
func createCRL(s suite.Suite, r io.Reader, tmpl *x509.RevocationList, issuer *x509.Certificate, signer crypto.Signer) ([]byte, error) {
	if s.Name() != suite.SM {
		return x509.CreateRevocationList(r, tmpl, issuer, signer)
	}
	smIssuer, err := smx509.ParseCertificate(issuer.Raw)
	if err != nil {
		return nil, err
	}
	entries := make([]smx509.RevocationListEntry, len(tmpl.RevokedCertificateEntries))
	for i, x := range tmpl.RevokedCertificateEntries {
		entries[i] = smx509.RevocationListEntry{SerialNumber: x.SerialNumber, RevocationTime: x.RevocationTime, ReasonCode: x.ReasonCode}
	}
	return smx509.CreateRevocationList(r, &smx509.RevocationList{
		Number:                    tmpl.Number,
		ThisUpdate:                tmpl.ThisUpdate,
		NextUpdate:                tmpl.NextUpdate,
		RevokedCertificateEntries: entries,
	}, smIssuer, signer)
}
