package credential

import (
	"context"
	"time"

	"github.com/netid/netid/internal/store"
)

// CertificateRecord is what the CA keeps of one internet certificate it
// issued. It holds no identity data: the internet number is the public
// account identifier, and the certificate itself carries only salted
// commitments.
type CertificateRecord struct {
	// Serial is the certificate serial number in lower-case hexadecimal
	// without leading zeros (FormatSerial). It is the primary key.
	Serial string
	// InternetNumber is the subject, canonical form.
	InternetNumber string
	// CAKeyID is the id of the CA key that signed the certificate (and so
	// the CA whose CRL lists it when revoked).
	CAKeyID string
	// DeviceKeyFingerprint is the lower-case hex suite hash (SHA-256 or
	// SM3) of the device key's SubjectPublicKeyInfo DER.
	DeviceKeyFingerprint string
	// NotBefore and NotAfter are the validity of the certificate.
	NotBefore, NotAfter time.Time
	// Issued is when the CA signed it.
	Issued time.Time
	// RevokedAt is when it was revoked; zero while it is not.
	RevokedAt time.Time
	// Reason is the revocation reason; meaningful only when RevokedAt is
	// set.
	Reason RevocationReason
	// DER is the certificate.
	DER []byte
}

// Revoked reports whether the certificate has been revoked.
func (r CertificateRecord) Revoked() bool { return !r.RevokedAt.IsZero() }

// RevokedCertificate is one entry of a CRL.
type RevokedCertificate struct {
	// Serial is as in CertificateRecord.
	Serial    string
	RevokedAt time.Time
	Reason    RevocationReason
}

// CertStore keeps issued certificates, CA certificates and CRL numbers. The
// SQL implementation lives in internal/store/sqlstore; the conformance suite
// in internal/store/storetest checks it on both engines.
//
// Every method joins the transaction carried by ctx (see store.TxRunner).
// The CA runs each state change that touches more than one row (renewal:
// issue the new certificate and revoke the old; a CRL: take its number and
// read the revoked certificates) in one InTx, and its functions are
// idempotent, as InTx requires.
//
// Times are handed over in UTC, truncated to the microsecond (certificate
// times to the second); implementations must return them unchanged,
// compared with time.Time.Equal.
type CertStore interface {
	store.TxRunner

	// PutCertificate stores a newly issued certificate. rec.RevokedAt is
	// zero. It returns an error wrapping store.ErrConflict if a certificate
	// with rec.Serial exists already (the CA then draws another serial).
	PutCertificate(ctx context.Context, rec CertificateRecord) error

	// Certificate returns the certificate with the given serial, or an
	// error wrapping store.ErrNotFound.
	Certificate(ctx context.Context, serial string) (CertificateRecord, error)

	// CertificatesFor returns every certificate issued to internetNumber,
	// revoked and expired ones included, oldest first (by Issued, then
	// Serial); none is not an error.
	CertificatesFor(ctx context.Context, internetNumber string) ([]CertificateRecord, error)

	// RevokeCertificate marks the certificate revoked at at for reason. It
	// returns an error wrapping store.ErrNotFound if there is no such
	// certificate, and one wrapping store.ErrConflict if it is revoked
	// already: the first revocation stands, time and reason unchanged (one
	// conditional UPDATE ... WHERE revoked_at IS NULL, so that of two
	// concurrent revocations exactly one wins).
	RevokeCertificate(ctx context.Context, serial string, reason RevocationReason, at time.Time) error

	// RevokedCertificates returns the revoked certificates signed by CA key
	// caKeyID whose NotAfter is after expiredBefore, in Serial order: the
	// entries of that CA's CRL. Expired certificates drop out of the CRL
	// (RFC 5280 section 3.3 allows it: an expired certificate fails
	// validation anyway).
	RevokedCertificates(ctx context.Context, caKeyID string, expiredBefore time.Time) ([]RevokedCertificate, error)

	// NextCRLNumber atomically increments and returns the CRL number of CA
	// key caKeyID, starting at 1: concurrent callers on any number of
	// nodes get distinct numbers, and a later call a larger one (RFC 5280
	// section 5.2.3 wants them monotonically increasing).
	NextCRLNumber(ctx context.Context, caKeyID string) (int64, error)

	// PutCACertificate stores the self-signed certificate of CA key keyID.
	// It returns an error wrapping store.ErrConflict if one is stored
	// already (another node made it first; the caller then reads that one,
	// so that every node publishes the same bytes).
	PutCACertificate(ctx context.Context, keyID string, der []byte, created time.Time) error

	// CACertificate returns the DER certificate of CA key keyID, or an error
	// wrapping store.ErrNotFound.
	CACertificate(ctx context.Context, keyID string) ([]byte, error)
}
