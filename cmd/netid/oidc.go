package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/netid/netid/internal/demo"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
)

// issuer is the OpenID issuer: the public URL, or http://ADDR.
func (e *enrolFlags) issuer(addr string) string {
	if e.publicURL != "" {
		return e.publicURL
	}
	return "http://" + addr
}

// buildProvider builds the OpenID provider over the store, the keys and the
// enrolment service (which authenticates residents). disclosures records
// each release of claims (nil: the plain disclosures table only).
func buildProvider(svc *service, en *enrolment, issuer string, disclosures oidc.DisclosureRecorder, log *slog.Logger) (*oidc.Provider, error) {
	return oidc.NewProvider(oidc.Config{Issuer: issuer},
		oidc.Deps{Store: resident.ConsentLog{Store: svc.store, Log: en.log}, RPs: svc.store, Keys: svc.keys, Residents: en.svc, Disclosures: disclosures,
			Suite: svc.suite, CA: en.ca},
		oidc.WithLogger(log),
		oidc.WithClientAddr(func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }))
}

// demoRegistrar registers the demo platform with the operator's registry.
type demoRegistrar struct{ rps *rp.Service }

func (d demoRegistrar) RegisterDemoRP(ctx context.Context, name, redirectURI string) (demo.Credentials, error) {
	r, secret, err := d.rps.Create(ctx, rp.Registration{
		Name:         name,
		RedirectURIs: []string{redirectURI},
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18,
			Purpose: "to show that a platform can check an age without learning a birth date"}},
	})
	if err != nil {
		return demo.Credentials{}, err
	}
	return demo.Credentials{ClientID: r.ClientID, ClientSecret: secret}, nil
}

func (d demoRegistrar) Registered(ctx context.Context, clientID string) (bool, error) {
	_, err := d.rps.Get(ctx, clientID)
	if errors.Is(err, rp.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// housekeepingInterval is how often expired enrolments, sessions, codes and
// tokens are deleted. Each node runs it; the deletes are idempotent.
const housekeepingInterval = 10 * time.Minute

// housekeeping deletes what has expired until ctx ends: abandoned
// enrolments (their data keys shredded), OAuth sessions, interactions,
// codes and tokens, phone challenges and attempt counters.
func housekeeping(ctx context.Context, log *slog.Logger, en *enrolment, prov *oidc.Provider) {
	t := time.NewTicker(housekeepingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := en.svc.PruneExpired(ctx); err != nil {
			log.Warn("pruning expired enrolments failed", "err", err)
		} else if n > 0 {
			log.Info("pruned expired enrolments", "count", n)
		}
		if n, err := prov.Prune(ctx); err != nil {
			log.Warn("pruning OAuth state failed", "err", err)
		} else if n > 0 {
			log.Info("pruned expired OAuth state", "count", n)
		}
	}
}
