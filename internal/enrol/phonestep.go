package enrol

import (
	"context"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store"
)

// phonePurpose is the purpose of enrolment codes (phone.Verifier).
const phonePurpose = "enrol"

// parsePhone parses a number as typed, with the configured default region.
func (s *Service) parsePhone(number string) (phone.Number, error) {
	n, err := phone.ParseNumber(number, s.cfg.PhoneRegion)
	if err != nil {
		return phone.Number{}, fmt.Errorf("%w: %w", ErrInvalidPhone, err)
	}
	return n, nil
}

// phoneLogin decides whether number may become e's login phone. Login
// phone numbers are unique among accounts (a blind index under a
// uniqueness constraint), so that "log in by phone number" names one
// account. A child enrolled through a guardian application may share a
// number that is already someone's login phone (typically the guardian's):
// the child then keeps the number for contact but cannot log in by it.
// Anyone else gets ErrPhoneInUse.
func (s *Service) phoneLogin(ctx context.Context, e EnrolmentRecord, number phone.Number) (bool, error) {
	idxs, err := s.blindIndexes(ctx, phoneDomain+number.E164())
	if err != nil {
		return false, err
	}
	for _, idx := range idxs {
		_, err := s.d.Store.ResidentByPhoneIndex(ctx, idx)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return false, err
		case e.GuardianID != "":
			return false, nil
		default:
			return false, ErrPhoneInUse
		}
	}
	return true, nil
}

// SendPhoneCode sends a one-time code for enrolment (id, token) to number,
// as typed by the resident. It is the first half of the phone step; call
// it again to resend. Errors: ErrInvalidPhone, ErrPhoneInUse, ErrWrongStep,
// and the phone package's send errors (phone.ErrResendTooSoon and
// phone.ErrTooManySends as a *phone.ThrottleError with its retry-after,
// phone.ErrSendFailed).
func (s *Service) SendPhoneCode(ctx context.Context, id, token, number string, opts ...phone.SendOption) (phone.ChallengeInfo, error) {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return phone.ChallengeInfo{}, err
	}
	if err := expect(e, StepPhone); err != nil {
		return phone.ChallengeInfo{}, err
	}
	n, err := s.parsePhone(number)
	if err != nil {
		return phone.ChallengeInfo{}, err
	}
	// Refuse a taken number before sending anything.
	if _, err := s.phoneLogin(ctx, e, n); err != nil {
		return phone.ChallengeInfo{}, err
	}
	return s.d.Phone.Send(ctx, phonePurpose, e.ID, n, opts...)
}

// VerifyPhone checks the code sent to number and, if it is right, records
// the number (sealed, with a blind index for login by phone) and moves the
// enrolment to phone-verified. A wrong, expired, used or locked code gives
// ErrPhoneCode wrapping the phone package's error (a *phone.WrongCodeError
// tells how many attempts are left). The code is consumed by the verifier
// before the enrolment is updated: if that update fails, the resident asks
// for a new code.
func (s *Service) VerifyPhone(ctx context.Context, id, token, number, code string) error {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return err
	}
	if err := expect(e, StepPhone); err != nil {
		return err
	}
	n, err := s.parsePhone(number)
	if err != nil {
		return err
	}
	if err := s.d.Phone.VerifyNumber(ctx, phonePurpose, e.ID, n, code); err != nil {
		if errors.Is(err, phone.ErrInvalidRequest) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrPhoneCode, err)
	}
	login, err := s.phoneLogin(ctx, e, n)
	if err != nil {
		return err
	}
	_, err = s.advance(ctx, id, token, e.Version, StepPhone, func(ctx context.Context, r *EnrolmentRecord) error {
		var err error
		if r.Phone, err = s.seal(ctx, r.ResidentID, fieldPhone, []byte(n.E164())); err != nil {
			return err
		}
		_, r.PhoneIndex, err = s.blindIndex(ctx, phoneDomain+n.E164())
		r.PhoneLogin = login
		return err
	})
	return err
}

// SkipPhone moves an enrolment that may do without a phone (assisted
// enrolments and guardian applications: PhoneOptional) past the phone
// step. Others get ErrPhoneRequired.
func (s *Service) SkipPhone(ctx context.Context, id, token string) error {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return err
	}
	if err := expect(e, StepPhone); err != nil {
		return err
	}
	if !e.PhoneOptional {
		return ErrPhoneRequired
	}
	_, err = s.advance(ctx, id, token, e.Version, StepPhone, nil)
	return err
}
