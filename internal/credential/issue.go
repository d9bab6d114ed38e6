package credential

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"time"

	"github.com/netid/netid/internal/store"
)

// IssueRequest asks for an internet certificate.
type IssueRequest struct {
	// InternetNumber is the subject, in canonical form.
	InternetNumber InternetNumber
	// DevicePublicKey is the wallet's device key, from a CSR that ParseCSR
	// accepted (proof of possession): ECDSA P-256, or SM2 in the sm suite.
	DevicePublicKey crypto.PublicKey
	// Commitments are the salted commitments to identity attributes, made
	// with Commit in the CA's suite; may be empty.
	Commitments []Commitment
	// NotBefore is when validity starts; zero means now, and the
	// certificate's NotBefore is then backdated by Config.Backdate.
	NotBefore time.Time
	// Validity shortens the configured validity; zero means Config.Validity.
	// It cannot exceed Config.Validity.
	Validity time.Duration
}

// Issued is a newly issued internet certificate.
type Issued struct {
	Certificate *x509.Certificate
	DER         []byte
	Record      CertificateRecord
}

// serialAttempts is how many random serials Issue tries. With 128 random
// bits a collision is never expected; the retry exists so that one cannot
// fail an issuance.
const serialAttempts = 3

// newSerial draws a random positive 128-bit serial (RFC 5280 section
// 4.1.2.2 allows up to 20 octets; CA/Browser Forum practice asks for at
// least 64 random bits).
func newSerial(r io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("credential: serial: %w", err)
		}
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// crlURL is where the CRL of CA key keyID is published.
func (ca *CA) crlURL(keyID string) string {
	return ca.cfg.BaseURL + "/crl?ca=" + url.QueryEscape(keyID)
}

// Issue issues an internet certificate signed by the active CA key and
// stores its record:
//
//	subject          CN = serialNumber = the internet number
//	serial           128 random bits
//	key              the device key
//	keyUsage         digitalSignature (critical)
//	extKeyUsage      clientAuth
//	basicConstraints CA:FALSE
//	SKI              leftmost 160 bits of the suite hash of the device key (RFC 7093 method 1)
//	AKI              the CA key id
//	CRL DP           <BaseURL>/crl?ca=<CA key id>
//	AIA OCSP         <BaseURL>/ocsp
//	commitments      OIDCommitments, non-critical, when there are any
//
// Errors wrap ErrInvalidRequest, ErrDeviceKey, ErrCommitment or
// ErrCAExpiring for a request the CA refuses, or a store error.
func (ca *CA) Issue(ctx context.Context, req IssueRequest) (*Issued, error) {
	number, err := ParseInternetNumber(string(req.InternetNumber))
	if err != nil || number != req.InternetNumber {
		return nil, fmt.Errorf("%w: internet number %q is not canonical: %v", ErrInvalidRequest, req.InternetNumber, err)
	}
	key, err := deviceKeyOf(ca.suite, req.DevicePublicKey)
	if err != nil {
		return nil, err
	}
	if err := checkCommitments(ca.suite, req.Commitments); err != nil {
		return nil, err
	}
	validity := req.Validity
	if validity == 0 {
		validity = ca.cfg.Validity
	}
	if validity < time.Minute || validity > ca.cfg.Validity {
		return nil, fmt.Errorf("%w: validity %v, want 1m to %v", ErrInvalidRequest, validity, ca.cfg.Validity)
	}
	now := ca.now().UTC()
	start, notBefore := req.NotBefore.UTC(), req.NotBefore.UTC()
	if req.NotBefore.IsZero() {
		start, notBefore = now, now.Add(-ca.cfg.Backdate)
	}
	notBefore = notBefore.Truncate(time.Second)
	notAfter := start.Add(validity).Truncate(time.Second)
	if !notAfter.After(now) {
		return nil, fmt.Errorf("%w: the certificate would expire at %v, before it is issued", ErrInvalidRequest, notAfter)
	}

	var exts []pkix.Extension
	if len(req.Commitments) > 0 {
		v, err := marshalCommitments(req.Commitments)
		if err != nil {
			return nil, err
		}
		exts = append(exts, pkix.Extension{Id: OIDCommitments, Value: v})
	}

	e, signer, err := ca.active(ctx)
	if err != nil {
		return nil, err
	}
	if notAfter.After(e.cert.NotAfter) {
		return nil, fmt.Errorf("%w: certificate until %v, CA %s until %v", ErrCAExpiring, notAfter, e.keyID, e.cert.NotAfter)
	}
	fingerprint := ca.suite.Hash(key.spki)
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: string(number), SerialNumber: string(number)},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		SubjectKeyId:          fingerprint[:20],
		AuthorityKeyId:        e.cert.SubjectKeyId,
		CRLDistributionPoints: []string{ca.crlURL(e.keyID)},
		OCSPServer:            []string{ca.cfg.BaseURL + "/ocsp"},
		ExtraExtensions:       exts,
	}
	for range serialAttempts {
		if tmpl.SerialNumber, err = newSerial(ca.rand); err != nil {
			return nil, err
		}
		der, err := ca.suite.CreateCertificate(ca.rand, tmpl, e.cert, key.pub, signer)
		if err != nil {
			return nil, fmt.Errorf("credential: issue: %w", err)
		}
		rec := CertificateRecord{
			Serial:               FormatSerial(tmpl.SerialNumber),
			InternetNumber:       string(number),
			CAKeyID:              e.keyID,
			DeviceKeyFingerprint: hex.EncodeToString(fingerprint),
			NotBefore:            notBefore,
			NotAfter:             notAfter,
			Issued:               now.Truncate(time.Microsecond),
			DER:                  der,
		}
		err = ca.putCertificate(ctx, rec)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("credential: store certificate: %w", err)
		}
		cert, err := ca.suite.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("credential: parse issued certificate: %w", err)
		}
		return &Issued{Certificate: cert, DER: der, Record: rec}, nil
	}
	return nil, fmt.Errorf("credential: issue: %d serial collisions: %w", serialAttempts, store.ErrConflict)
}

// RenewRequest asks for a new certificate on a new device key, replacing
// an existing one.
type RenewRequest struct {
	// Serial is the certificate being replaced.
	Serial *big.Int
	// DevicePublicKey is the new device key (from ParseCSR); it must
	// differ from the old one.
	DevicePublicKey crypto.PublicKey
	// Commitments for the new certificate; nil keeps those of the old one,
	// so that the wallet's openings (values and salts) stay valid.
	Commitments []Commitment
	// Validity as in IssueRequest.
	Validity time.Duration
}

// Renew issues a certificate for the internet number of req.Serial on a new
// device key and revokes the old certificate with reason superseded, both
// in one transaction: there is never a moment with both valid or neither.
// The old certificate must not be revoked (ErrRevoked) — a revoked
// certificate is a decision (loss, lock, deletion) that renewal must not
// undo — but may have expired. Errors are those of Issue, plus
// ErrSameDeviceKey, ErrRevoked and store.ErrNotFound.
func (ca *CA) Renew(ctx context.Context, req RenewRequest) (*Issued, error) {
	if req.Serial == nil {
		return nil, fmt.Errorf("%w: no serial", ErrInvalidRequest)
	}
	key, err := deviceKeyOf(ca.suite, req.DevicePublicKey)
	if err != nil {
		return nil, err
	}
	newFingerprint := hex.EncodeToString(ca.suite.Hash(key.spki))
	serial := FormatSerial(req.Serial)
	var issued *Issued
	err = ca.st.InTx(ctx, func(ctx context.Context) error {
		old, err := ca.st.Certificate(ctx, serial)
		if err != nil {
			return fmt.Errorf("credential: renew %s: %w", serial, err)
		}
		if old.Revoked() {
			return fmt.Errorf("%w: %s since %v (%v)", ErrRevoked, serial, old.RevokedAt, old.Reason)
		}
		if old.DeviceKeyFingerprint == newFingerprint {
			return fmt.Errorf("%w: %s", ErrSameDeviceKey, serial)
		}
		commitments := req.Commitments
		if commitments == nil {
			oldCert, err := ca.suite.ParseCertificate(old.DER)
			if err != nil {
				return fmt.Errorf("credential: renew %s: parse stored certificate: %w", serial, err)
			}
			if commitments, err = ParseCommitments(oldCert); err != nil {
				return fmt.Errorf("credential: renew %s: %w", serial, err)
			}
		}
		issued, err = ca.Issue(ctx, IssueRequest{
			InternetNumber:  InternetNumber(old.InternetNumber),
			DevicePublicKey: req.DevicePublicKey,
			Commitments:     commitments,
			Validity:        req.Validity,
		})
		if err != nil {
			return err
		}
		return ca.revoke(ctx, old.InternetNumber, serial, ReasonSuperseded, issued.Record.Issued.Truncate(time.Second))
	})
	if err != nil {
		return nil, err
	}
	ca.revoked()
	return issued, nil
}

// Revoke revokes the certificate with the given serial. It returns an
// error wrapping ErrAlreadyRevoked (and store.ErrConflict) if it was
// revoked before, the first revocation standing; store.ErrNotFound if no
// such certificate was issued; ErrReason for a reason netid does not use.
func (ca *CA) Revoke(ctx context.Context, serial *big.Int, reason RevocationReason) error {
	if !reason.Valid() {
		return fmt.Errorf("%w: %v", ErrReason, reason)
	}
	if serial == nil {
		return fmt.Errorf("%w: no serial", ErrInvalidRequest)
	}
	s := FormatSerial(serial)
	at := ca.now().UTC().Truncate(time.Second)
	err := ca.st.InTx(ctx, func(ctx context.Context) error {
		rec, err := ca.st.Certificate(ctx, s)
		if err != nil {
			return err
		}
		return ca.revoke(ctx, rec.InternetNumber, s, reason, at)
	})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %s: %w", ErrAlreadyRevoked, s, err)
	}
	if err != nil {
		return fmt.Errorf("credential: revoke %s: %w", s, err)
	}
	ca.revoked()
	return nil
}

// RevokeAllFor revokes every certificate of internetNumber that is not
// revoked yet, expired ones included (so that OCSP answers revoked for
// them), in one transaction, and returns how many it revoked. It is what
// account deletion and locks call; calling it again revokes nothing more
// and is not an error.
func (ca *CA) RevokeAllFor(ctx context.Context, internetNumber InternetNumber, reason RevocationReason) (int, error) {
	if !reason.Valid() {
		return 0, fmt.Errorf("%w: %v", ErrReason, reason)
	}
	at := ca.now().UTC().Truncate(time.Second)
	var n int
	err := ca.st.InTx(ctx, func(ctx context.Context) error {
		n = 0
		recs, err := ca.st.CertificatesFor(ctx, string(internetNumber))
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Revoked() {
				continue
			}
			if err := ca.revoke(ctx, r.InternetNumber, r.Serial, reason, at); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("credential: revoke all for %s: %w", internetNumber, err)
	}
	if n > 0 {
		ca.revoked()
	}
	return n, nil
}

// putCertificate stores rec and reports the issuance, in one transaction.
func (ca *CA) putCertificate(ctx context.Context, rec CertificateRecord) error {
	return ca.st.InTx(ctx, func(ctx context.Context) error {
		if err := ca.st.PutCertificate(ctx, rec); err != nil {
			return err
		}
		return ca.issuedEvent(ctx, rec)
	})
}

// revoke marks a certificate revoked and reports it; the caller runs it in
// a transaction.
func (ca *CA) revoke(ctx context.Context, number, serial string, reason RevocationReason, at time.Time) error {
	if err := ca.st.RevokeCertificate(ctx, serial, reason, at); err != nil {
		return err
	}
	return ca.revokedEvent(ctx, number, serial, reason, at)
}
