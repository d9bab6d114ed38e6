package enrol

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

// Certificate renewal: a new internet certificate for the same internet
// number on a new device key (issue 4, point 7). A certificate is the
// device factor that raises a password holder to substantial, so the
// password alone must never obtain one. Renewal therefore needs three
// proofs, besides the login the HTTP layer does:
//
//   - a challenge from RenewChallenge, bound to the resident and expiring,
//     which makes every other proof fresh;
//   - the new key's proof of possession: a CSR that carries the challenge
//     as its nonce (credential.ParseCSR), as at enrolment;
//   - the old device's approval: a signature, by the key of the account's
//     current valid certificate, over RenewMessage (the challenge and the
//     digest of the new key), so that whoever has only the password cannot
//     move the account to a key of theirs.
//
// The CA then issues the new certificate and revokes the old one as
// superseded in one transaction (credential.CA.Renew), with the old
// certificate's commitments, so the wallet's openings stay valid.
//
// Renewal without the old device (lost or broken phone) is not built: it
// needs the identity verified again (document and live face), and is
// refused with ErrOldDeviceRequired.

// renewMessageDomain separates the old device's renewal approval from
// every other signature the device key makes.
const renewMessageDomain = "netid renew v1\x00"

// renewChallengeSubject is what the stateless challenge of an upgrade is
// bound to for a renewal: the resident id under a prefix, so that an
// upgrade challenge and a renewal challenge never verify for each other.
// Resident ids are base64url, so the NUL cannot occur in one.
const renewChallengeSubject = "certificate renewal\x00"

// RenewMessage is what the old device key signs (Suite.Sign of its suite)
// to approve a renewal:
//
//	"netid renew v1\x00" || challenge || SHA-256(new key's SubjectPublicKeyInfo DER)
//
// The challenge is base64url and the digest 32 bytes, so the
// concatenation is unambiguous. The wallet builds the same bytes.
func RenewMessage(challenge string, newKeySPKI []byte) []byte {
	sum := sha256.Sum256(newKeySPKI)
	msg := make([]byte, 0, len(renewMessageDomain)+len(challenge)+len(sum))
	msg = append(msg, renewMessageDomain...)
	msg = append(msg, challenge...)
	return append(msg, sum[:]...)
}

// RenewRequest is a certificate renewal.
type RenewRequest struct {
	// Challenge is from RenewChallenge for this resident.
	Challenge string
	// CSR is the PKCS#10 request of the new device key, DER or PEM, with
	// Challenge as its challengePassword (credential.CreateCSR).
	CSR []byte
	// OldDeviceSignature is the signature of RenewMessage(Challenge, new
	// key) by the device key of the current certificate, ASN.1 DER as
	// Suite.Sign makes it.
	OldDeviceSignature []byte
}

// Renewed is a renewal's result.
type Renewed struct {
	InternetNumber credential.InternetNumber
	// Certificate is the new certificate, DER; Serial its serial
	// (credential.FormatSerial).
	Certificate []byte
	Serial      string
	// Replaced is the serial of the certificate revoked as superseded.
	Replaced string
}

// certificateRenewer is the optional power of Deps.Issuer that renewal
// needs; *credential.CA has it.
type certificateRenewer interface {
	Renew(ctx context.Context, req credential.RenewRequest) (*credential.Issued, error)
}

// certificateLister is the optional power of Deps.Store that renewal
// needs, to find the current certificate; the SQL store has it.
type certificateLister interface {
	CertificatesFor(ctx context.Context, internetNumber string) ([]credential.CertificateRecord, error)
}

var _ certificateRenewer = (*credential.CA)(nil)

// RenewChallenge returns a challenge for a certificate renewal of
// residentID's account, and when it expires (Config.FaceChallengeTTL from
// now). The caller authenticates the resident first. It is the upgrade's
// stateless challenge (see upgradeface.go), bound to the resident under
// another subject, so the two kinds never stand in for each other.
func (s *Service) RenewChallenge(ctx context.Context, residentID string) (string, time.Time, error) {
	if residentID == "" {
		return "", time.Time{}, fmt.Errorf("%w: no resident", ErrInvalidRequest)
	}
	return s.UpgradeChallenge(ctx, renewChallengeSubject+residentID)
}

// RenewCertificate issues a new certificate for residentID's internet
// number on the key of req.CSR, approved by the device of the current
// certificate, and revokes the current one as superseded, in one
// transaction. residentID is the authenticated resident (the HTTP layer
// logs them in first).
//
// Refusals, all before anything is written: ErrInvalidRequest,
// ErrOldDeviceRequired (no old device signature), ErrRenewChallenge,
// ErrBadCSR (malformed, or not carrying the challenge), ErrBadCredentials
// (the account is not active), ErrNotFound, ErrNoCurrentCertificate (every
// certificate is revoked or expired), ErrDeviceSignature, ErrSameDeviceKey.
func (s *Service) RenewCertificate(ctx context.Context, residentID string, req RenewRequest) (Renewed, error) {
	if residentID == "" {
		return Renewed{}, fmt.Errorf("%w: no resident", ErrInvalidRequest)
	}
	if len(req.OldDeviceSignature) == 0 {
		return Renewed{}, ErrOldDeviceRequired
	}
	renewer, ok := s.d.Issuer.(certificateRenewer)
	lister, ok2 := s.d.Store.(certificateLister)
	if !ok || !ok2 {
		return Renewed{}, errors.New("enrol: certificate renewal needs an issuer that renews and a store that lists certificates")
	}
	now := s.now()
	// The challenge first: a MAC is cheaper than a CSR signature.
	if err := s.verifyUpgradeChallenge(ctx, renewChallengeSubject+residentID, req.Challenge, now); err != nil {
		if errors.Is(err, ErrNotLive) {
			return Renewed{}, ErrRenewChallenge
		}
		return Renewed{}, err
	}
	csr, err := credential.ParseCSR(s.suite, req.CSR, req.Challenge)
	if err != nil {
		return Renewed{}, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}
	r, err := s.d.Store.Resident(ctx, residentID)
	if errors.Is(err, store.ErrNotFound) {
		return Renewed{}, ErrNotFound
	}
	if err != nil {
		return Renewed{}, err
	}
	if r.Status != StatusActive {
		return Renewed{}, ErrBadCredentials
	}
	current, err := currentCertificate(ctx, lister, r.InternetNumber, now)
	if err != nil {
		return Renewed{}, err
	}
	if err := s.checkOldDevice(current, RenewMessage(req.Challenge, csr.PublicKeyDER), req.OldDeviceSignature); err != nil {
		return Renewed{}, err
	}
	serial, err := credential.ParseSerial(current.Serial)
	if err != nil {
		return Renewed{}, fmt.Errorf("enrol: renew: stored serial: %w", err)
	}
	issued, err := renewer.Renew(ctx, credential.RenewRequest{
		Serial: serial, DevicePublicKey: csr.PublicKey, Validity: s.cfg.CertificateValidity,
	})
	switch {
	case errors.Is(err, credential.ErrSameDeviceKey):
		return Renewed{}, ErrSameDeviceKey
	case errors.Is(err, credential.ErrRevoked):
		// Revoked since it was read: a lock or a deletion won the race.
		return Renewed{}, ErrNoCurrentCertificate
	case errors.Is(err, credential.ErrDeviceKey):
		return Renewed{}, fmt.Errorf("%w: %w", ErrBadCSR, err)
	case err != nil:
		return Renewed{}, fmt.Errorf("enrol: renew certificate: %w", err)
	}
	s.log.InfoContext(ctx, "certificate renewed", "resident", residentID, "serial", issued.Record.Serial, "replaced", current.Serial)
	return Renewed{
		InternetNumber: credential.InternetNumber(r.InternetNumber), Certificate: issued.DER,
		Serial: issued.Record.Serial, Replaced: current.Serial,
	}, nil
}

// currentCertificate returns the newest certificate of number that is
// neither revoked nor outside its validity at now.
func currentCertificate(ctx context.Context, l certificateLister, number string, now time.Time) (credential.CertificateRecord, error) {
	recs, err := l.CertificatesFor(ctx, number)
	if err != nil {
		return credential.CertificateRecord{}, fmt.Errorf("enrol: renew: certificates: %w", err)
	}
	for i := len(recs) - 1; i >= 0; i-- {
		c := recs[i]
		if !c.Revoked() && !now.Before(c.NotBefore) && now.Before(c.NotAfter) {
			return c, nil
		}
	}
	return credential.CertificateRecord{}, ErrNoCurrentCertificate
}

// checkOldDevice verifies sig over msg with the device key of cert. The
// key is P-256 (intl suite) or SM2 (sm suite) whatever the CA's suite, as
// credential.ParseCSR allows, so the key decides which suite verifies.
func (s *Service) checkOldDevice(cert credential.CertificateRecord, msg, sig []byte) error {
	c, err := s.suite.ParseCertificate(cert.DER)
	if err != nil {
		return fmt.Errorf("enrol: renew: stored certificate %s: %w", cert.Serial, err)
	}
	ds, pub, err := deviceSuite(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return fmt.Errorf("enrol: renew: certificate %s: %w", cert.Serial, err)
	}
	if err := ds.Verify(pub, msg, sig); err != nil {
		return fmt.Errorf("%w: %w", ErrDeviceSignature, err)
	}
	return nil
}

// deviceSuite parses a device key's SubjectPublicKeyInfo and returns the
// suite whose signatures it makes.
func deviceSuite(spki []byte) (suite.Suite, crypto.PublicKey, error) {
	for _, n := range []suite.Name{suite.Intl, suite.SM} {
		ds, err := suite.New(n)
		if err != nil {
			return nil, nil, err
		}
		if pub, err := ds.ParsePublicKey(spki); err == nil {
			return ds, pub, nil
		}
	}
	return nil, nil, errors.New("device key is neither ECDSA P-256 nor SM2")
}
