package resident

import (
	"context"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
)

// DeleteRequest confirms a deletion: the internet number typed again,
// and a fresh proof of who asks, exactly one of the password and a wallet
// presentation answering a new Challenge.
type DeleteRequest struct {
	Confirm      string
	Password     string
	Presentation string
}

// Delete deletes the account of the resident of sess, for good, once req
// confirms it. In one transaction, with the wallet's challenge when the
// proof is a presentation:
//
//   - every certificate not yet revoked is revoked (cessationOfOperation),
//     each with its certificate-revoked entry in the log;
//   - every remembered consent is forgotten, each with its
//     consent-withdrawn entry; every OAuth grant, and with it every access
//     and refresh token, is revoked; the provider's login sessions and the
//     resident API's sessions are deleted; the plain disclosures table
//     forgets the resident;
//   - enrol.DeleteResident wipes the sealed data, shreds the data key,
//     retires the internet number (never drawn again), deletes the
//     identity anchors and guardian links, and logs "deleted".
//
// The transparency log keeps its entries: they name no one, and dropping
// them would break every later checkpoint. ErrConfirmation when req does
// not confirm (the cause in the chain); a *enrol.ThrottledError for too
// many password attempts.
func (s *Service) Delete(ctx context.Context, sess Session, req DeleteRequest, addr string) (enrol.Erased, error) {
	if n, err := credential.ParseInternetNumber(req.Confirm); err != nil || n != sess.InternetNumber {
		return enrol.Erased{}, fmt.Errorf("%w: the internet number typed is not this account's", ErrConfirmation)
	}
	if (req.Password == "") == (req.Presentation == "") {
		return enrol.Erased{}, fmt.Errorf("%w: give the password or a wallet signature, one of them", ErrConfirmation)
	}
	prep, err := s.d.Residents.PrepareDeletion(ctx)
	if err != nil {
		return enrol.Erased{}, err
	}
	base, err := s.entryID("consent-withdrawn")
	if err != nil {
		return enrol.Erased{}, err
	}
	var out enrol.Erased
	erase := func(ctx context.Context) error {
		var err error
		out, err = s.erase(ctx, sess, prep, base)
		return err
	}
	if req.Password != "" {
		acct, err := s.d.Residents.AuthenticateResident(ctx, string(sess.InternetNumber), req.Password, addr)
		switch {
		case errors.Is(err, enrol.ErrThrottled):
			return enrol.Erased{}, err
		case err != nil:
			return enrol.Erased{}, fmt.Errorf("%w: %w", ErrConfirmation, err)
		case acct.ID != sess.ResidentID:
			return enrol.Erased{}, ErrConfirmation
		}
		err = s.d.Store.InTx(ctx, erase)
		return out, err
	}
	if err := s.allow(ctx, s.walletLogins, addr); err != nil {
		return enrol.Erased{}, err
	}
	err = s.verifyWallet(ctx, req.Presentation, func(ctx context.Context, r enrol.ResidentRecord) error {
		if r.ID != sess.ResidentID {
			return fmt.Errorf("%w: the wallet signed for another account", ErrConfirmation)
		}
		return erase(ctx)
	})
	if errors.Is(err, ErrPresentation) || errors.Is(err, ErrChallenge) || errors.Is(err, ErrCertificateRevoked) {
		err = fmt.Errorf("%w: %w", ErrConfirmation, err)
	}
	return out, err
}

// erase is the transaction of Delete.
func (s *Service) erase(ctx context.Context, sess Session, prep enrol.Deletion, consentID string) (enrol.Erased, error) {
	id := sess.ResidentID
	if _, err := s.d.CA.RevokeAllFor(ctx, sess.InternetNumber, credential.ReasonCessationOfOperation); err != nil {
		return enrol.Erased{}, err
	}
	// Every platform that holds a remembered consent or live access
	// (a one-time consent with a refresh token) sees its consent end in
	// the resident's log.
	cs, err := s.consentsOf(ctx, id)
	if err != nil {
		return enrol.Erased{}, err
	}
	for _, c := range cs {
		if c.Remembered {
			if err := s.d.Grants.DeleteRememberedConsent(ctx, id, c.ClientID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return enrol.Erased{}, err
			}
		}
		if err := s.logConsentWithdrawn(ctx, id, consentID+":"+c.ClientID, c); err != nil {
			return enrol.Erased{}, err
		}
	}
	if _, err := s.d.Grants.RevokeGrantsOf(ctx, id, "", s.stamp()); err != nil {
		return enrol.Erased{}, err
	}
	if _, err := s.d.Grants.DeleteLoginSessionsOf(ctx, id); err != nil {
		return enrol.Erased{}, err
	}
	if _, err := s.d.Store.DeleteResidentSessionsOf(ctx, id); err != nil {
		return enrol.Erased{}, err
	}
	if _, err := s.d.Store.DeleteDisclosuresOf(ctx, id); err != nil {
		return enrol.Erased{}, err
	}
	erased, err := s.d.Residents.DeleteResident(ctx, id, prep)
	if errors.Is(err, enrol.ErrNotFound) {
		return enrol.Erased{}, ErrUnauthenticated
	}
	return erased, err
}
