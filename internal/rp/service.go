package rp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/netid/netid/internal/store"
)

// Service is the registry: the operator's Go API for relying parties
// (`netid rp create` today, the admin API later). It is safe for
// concurrent use and keeps no state of its own.
type Service struct {
	st   Store
	now  func() time.Time
	rand io.Reader
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRand makes the Service draw client ids and secrets from r instead of
// crypto/rand.
func WithRand(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// NewService returns the registry over st.
func NewService(st Store, opts ...Option) *Service {
	s := &Service{st: st, now: time.Now, rand: rand.Reader}
	for _, o := range opts {
		o(s)
	}
	return s
}

// stamp is the current time as the store keeps it.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Create registers a relying party and returns it with its client secret,
// which is shown this once: only its hash is kept.
func (s *Service) Create(ctx context.Context, reg Registration) (RP, string, error) {
	reg, err := reg.Normalize()
	if err != nil {
		return RP{}, "", err
	}
	id, err := newClientID(s.rand)
	if err != nil {
		return RP{}, "", err
	}
	secret, err := newSecret(s.rand)
	if err != nil {
		return RP{}, "", err
	}
	now := s.stamp()
	r := withRegistration(RP{ClientID: id, SecretHash: SecretHash(secret), Status: StatusActive,
		Created: now, Updated: now, Version: 1}, reg)
	if err := s.st.CreateRP(ctx, r); err != nil {
		return RP{}, "", fmt.Errorf("rp: create: %w", err)
	}
	return r, secret, nil
}

// withRegistration returns r with the registered fields of reg.
func withRegistration(r RP, reg Registration) RP {
	r.Name, r.RedirectURIs, r.PostLogoutRedirectURIs = reg.Name, reg.RedirectURIs, reg.PostLogoutRedirectURIs
	r.Sector, r.ApprovedClaims = reg.Sector, reg.ApprovedClaims
	r.MayReceiveInternetNumber, r.SharesOnward, r.MinAssurance = reg.MayReceiveInternetNumber, reg.SharesOnward, reg.MinAssurance
	return r
}

// Get returns the RP with client id id, or an error wrapping ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (RP, error) {
	r, err := s.st.RP(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return RP{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return RP{}, fmt.Errorf("rp: get %s: %w", id, err)
	}
	return r, nil
}

// List returns up to limit RPs (1 to 1000) whose client id sorts after
// after, in client id order; pass the last id of a page to get the next.
func (s *Service) List(ctx context.Context, after string, limit int) ([]RP, error) {
	if limit < 1 || limit > 1000 {
		return nil, fmt.Errorf("%w: list limit %d is not between 1 and 1000", ErrInvalid, limit)
	}
	rs, err := s.st.ListRPs(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("rp: list: %w", err)
	}
	return rs, nil
}

// change loads RP id, applies fn and stores the result with the next
// version. A concurrent change makes it fail with store.ErrConflict; the
// caller may retry.
func (s *Service) change(ctx context.Context, id string, fn func(*RP) error) (RP, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return RP{}, err
	}
	prev := r.Version
	if err := fn(&r); err != nil {
		return RP{}, err
	}
	r.Updated, r.Version = s.stamp(), prev+1
	if err := s.st.UpdateRP(ctx, prev, r); err != nil {
		return RP{}, fmt.Errorf("rp: update %s: %w", id, err)
	}
	return r, nil
}

// Update replaces the registration of RP id. The sector cannot change: a
// new sector would change every pairwise subject the RP knows, so that it
// would lose every resident's account; register a new RP instead.
func (s *Service) Update(ctx context.Context, id string, reg Registration) (RP, error) {
	reg, err := reg.Normalize()
	if err != nil {
		return RP{}, err
	}
	return s.change(ctx, id, func(r *RP) error {
		if reg.Sector != r.Sector {
			return fmt.Errorf("%w: the sector of %s is %q and cannot change (every pairwise subject would change)",
				ErrInvalid, id, r.Sector)
		}
		*r = withRegistration(*r, reg)
		return nil
	})
}

// Suspend stops RP id from authenticating residents: authorization and
// token requests are refused and its tokens stop being active (within the
// OpenID provider's client cache lifetime).
func (s *Service) Suspend(ctx context.Context, id string) (RP, error) {
	return s.change(ctx, id, func(r *RP) error { r.Status = StatusSuspended; return nil })
}

// Activate lets a suspended RP authenticate residents again.
func (s *Service) Activate(ctx context.Context, id string) (RP, error) {
	return s.change(ctx, id, func(r *RP) error { r.Status = StatusActive; return nil })
}

// RotateSecret gives RP id a new client secret, returned this once; the old
// secret stops working at once (within the OpenID provider's client cache
// lifetime).
func (s *Service) RotateSecret(ctx context.Context, id string) (string, error) {
	secret, err := newSecret(s.rand)
	if err != nil {
		return "", err
	}
	if _, err := s.change(ctx, id, func(r *RP) error { r.SecretHash = SecretHash(secret); return nil }); err != nil {
		return "", err
	}
	return secret, nil
}
