package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
)

// RevokeCertificate revokes the internet certificate with serial number
// serial (hex, as `netid verify` and the wallet print it) for reason, and
// returns its record as revoked. The CA's events add a certificate-revoked
// entry to the holder's transparency log in the same transaction; the CRL
// and OCSP answer from the store (see docs/operations.md for how soon each
// node's CRL lists it). Errors: ErrInvalid for a malformed serial or an
// unused reason, ErrNotFound, credential.ErrAlreadyRevoked.
func (s *Service) RevokeCertificate(ctx context.Context, a Actor, serial string, reason credential.RevocationReason) (credential.CertificateRecord, error) {
	n, perr := credential.ParseSerial(serial)
	target := serial
	if perr == nil {
		target = credential.FormatSerial(n)
	}
	var out credential.CertificateRecord
	err := s.act(ctx, a, ActionCertificateRevoke, note{target: target, detail: "reason " + reason.String()},
		func(ctx context.Context, _ *note) error {
			switch {
			case perr != nil:
				return fmt.Errorf("%w: %w", ErrInvalid, perr)
			case !reason.Valid():
				return fmt.Errorf("%w: %w", ErrInvalid, credential.ErrReason)
			}
			if err := s.d.CA.Revoke(ctx, n, reason); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("%w: no certificate with serial %s", ErrNotFound, target)
				}
				return err
			}
			rec, err := s.d.Certificates.Certificate(ctx, target)
			if err != nil {
				return err
			}
			out = rec
			return nil
		})
	return out, err
}

// RevokeCertificatesOf revokes every certificate of internet number
// number that is not revoked yet, and returns how many it revoked (0 when
// all were revoked already: revoking again is not an error). ErrNotFound
// when no resident holds the number.
func (s *Service) RevokeCertificatesOf(ctx context.Context, a Actor, number string, reason credential.RevocationReason) (int, error) {
	var count int
	err := s.act(ctx, a, ActionCertificateRevokeAll, note{target: number, detail: "reason " + reason.String()},
		func(ctx context.Context, n *note) error {
			num, err := credential.ParseInternetNumber(number)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			if !reason.Valid() {
				return fmt.Errorf("%w: %w", ErrInvalid, credential.ErrReason)
			}
			n.target = string(num)
			if _, err := s.d.Residents.ResidentByNumber(ctx, string(num)); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: no resident holds internet number %s", ErrNotFound, num)
			} else if err != nil {
				return err
			}
			if count, err = s.d.CA.RevokeAllFor(ctx, num, reason); err != nil {
				return err
			}
			n.detail = fmt.Sprintf("reason %s, %d certificate(s) revoked", reason, count)
			return nil
		})
	return count, err
}
