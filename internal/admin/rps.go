package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// RegistrationOf returns the registration of r: what Update takes, for a
// caller that changes some fields and keeps the others.
func RegistrationOf(r rp.RP) rp.Registration {
	return rp.Registration{
		Name: r.Name, RedirectURIs: r.RedirectURIs, PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		Sector: r.Sector, ApprovedClaims: r.ApprovedClaims, MayReceiveInternetNumber: r.MayReceiveInternetNumber,
		SharesOnward: r.SharesOnward, MinAssurance: r.MinAssurance,
	}
}

// rpDetail describes a registration for the audit trail: what a later
// reader needs to see what was approved.
func rpDetail(r rp.RP) string {
	claims := make([]string, len(r.ApprovedClaims))
	for i, c := range r.ApprovedClaims {
		claims[i] = string(c.Claim)
	}
	return fmt.Sprintf("name %q, sector %s, min level %s, claims [%s], internet number %v, shares onward %v, status %s",
		r.Name, r.Sector, r.MinAssurance, strings.Join(claims, " "), r.MayReceiveInternetNumber, r.SharesOnward, r.Status)
}

// RP returns the relying party with client id id (rp.ErrNotFound).
func (s *Service) RP(ctx context.Context, id string) (rp.RP, error) { return s.d.RPs.Get(ctx, id) }

// RPs returns up to limit relying parties whose client id sorts after
// after, in client id order.
func (s *Service) RPs(ctx context.Context, after string, limit int) ([]rp.RP, error) {
	return s.d.RPs.List(ctx, after, limit)
}

// CreateRP registers a relying party and returns it with its client
// secret, shown this once.
func (s *Service) CreateRP(ctx context.Context, a Actor, reg rp.Registration) (rp.RP, string, error) {
	var (
		out    rp.RP
		secret string
	)
	err := s.act(ctx, a, ActionRPCreate, note{detail: fmt.Sprintf("name %q", reg.Name)},
		func(ctx context.Context, n *note) error {
			r, sec, err := s.d.RPs.Create(ctx, reg)
			if err != nil {
				return err
			}
			out, secret = r, sec
			n.target, n.detail = r.ClientID, rpDetail(r)
			return nil
		})
	return out, secret, err
}

// UpdateRP replaces the registration of relying party id. An empty
// reg.Sector keeps the registered sector (which never changes). With
// version > 0 the update applies only to that version of the registration
// (ErrConflict in the chain otherwise), so that a client that read, changed
// and wrote back a registration does not undo a change made meanwhile.
func (s *Service) UpdateRP(ctx context.Context, a Actor, id string, reg rp.Registration, version int64) (rp.RP, error) {
	var out rp.RP
	err := s.act(ctx, a, ActionRPUpdate, note{target: id}, func(ctx context.Context, n *note) error {
		cur, err := s.d.RPs.Get(ctx, id)
		if err != nil {
			return err
		}
		if version > 0 && cur.Version != version {
			return fmt.Errorf("admin: relying party %s is at version %d, not %d: %w", id, cur.Version, version, store.ErrConflict)
		}
		if reg.Sector == "" {
			reg.Sector = cur.Sector
		}
		r, err := s.d.RPs.Update(ctx, id, reg)
		if err != nil {
			return err
		}
		out, n.detail = r, rpDetail(r)
		return nil
	})
	s.changed(id, err)
	return out, err
}

// SuspendRP stops relying party id from authenticating residents. The
// OpenID provider checks the status at authorization, token and userinfo
// requests, through its client cache (see docs/operations.md for how long
// a node may take to notice).
func (s *Service) SuspendRP(ctx context.Context, a Actor, id string) (rp.RP, error) {
	return s.changeRP(ctx, a, ActionRPSuspend, id, s.d.RPs.Suspend)
}

// ActivateRP lets a suspended relying party authenticate residents again.
func (s *Service) ActivateRP(ctx context.Context, a Actor, id string) (rp.RP, error) {
	return s.changeRP(ctx, a, ActionRPActivate, id, s.d.RPs.Activate)
}

func (s *Service) changeRP(ctx context.Context, a Actor, action Action, id string, change func(context.Context, string) (rp.RP, error)) (rp.RP, error) {
	var out rp.RP
	err := s.act(ctx, a, action, note{target: id}, func(ctx context.Context, n *note) error {
		r, err := change(ctx, id)
		if err != nil {
			return err
		}
		out, n.detail = r, fmt.Sprintf("name %q, status %s", r.Name, r.Status)
		return nil
	})
	s.changed(id, err)
	return out, err
}

// RotateRPSecret gives relying party id a new client secret, returned this
// once; the old one stops working.
func (s *Service) RotateRPSecret(ctx context.Context, a Actor, id string) (string, error) {
	var secret string
	err := s.act(ctx, a, ActionRPRotateSecret, note{target: id}, func(ctx context.Context, _ *note) error {
		var err error
		secret, err = s.d.RPs.RotateSecret(ctx, id)
		return err
	})
	s.changed(id, err)
	return secret, err
}
