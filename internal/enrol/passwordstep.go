package enrol

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
)

// SetPassword is the password step: the password must pass the policy
// (NIST SP 800-63B: length, no common or breached passwords, nothing built
// on what others know of the resident: the names, birth date, phone number
// and the internet number the account will receive) and is stored as an
// argon2id hash. A refusal is ErrWeakPassword wrapping the
// *password.PolicyError, whose message says what to do; password.ErrBusy
// passes through when too many hashes run at once.
func (s *Service) SetPassword(ctx context.Context, id, token, pw string) error {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return err
	}
	if err := expect(e, StepPassword); err != nil {
		return err
	}
	known, err := s.passwordContext(ctx, e)
	if err != nil {
		return err
	}
	if err := s.d.Policy.Check(pw, known...); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return fmt.Errorf("%w: %w", ErrWeakPassword, pe)
		}
		return fmt.Errorf("%w: %w", ErrWeakPassword, err)
	}
	hash, err := s.d.Hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("enrol: hash password: %w", err)
	}
	_, err = s.advance(ctx, id, token, e.Version, StepPassword, func(_ context.Context, r *EnrolmentRecord) error {
		r.PasswordHash = hash
		return nil
	})
	return err
}

// passwordContext returns what others may know of the resident, for the
// policy's context check.
func (s *Service) passwordContext(ctx context.Context, e EnrolmentRecord) ([]string, error) {
	ident, err := s.openIdentity(ctx, e.ResidentID, e.Identity)
	if err != nil {
		return nil, err
	}
	out := []string{s.cfg.ServiceName, e.Number, ident.Name, ident.DocumentNumber, ident.AnchorPerson}
	out = append(out, strings.Fields(ident.Name)...)
	if b := ident.BirthDate; b.Complete() {
		out = append(out, b.String(), fmt.Sprintf("%04d%02d%02d", b.Year, int(b.Month), b.Day))
	}
	ph, err := s.open(ctx, e.ResidentID, fieldPhone, e.Phone)
	if err != nil {
		return nil, err
	}
	if len(ph) > 0 {
		out = append(out, string(ph))
		if n, err := phone.ParseNumber(string(ph), ""); err == nil {
			out = append(out, n.National())
		}
	}
	var clean []string
	for _, c := range out {
		if c != "" {
			clean = append(clean, c)
		}
	}
	return clean, nil
}
