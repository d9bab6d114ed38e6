package oidc

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// RelyingParties is where the provider finds registered RPs; the SQL store
// (rp.Store) implements it.
type RelyingParties interface {
	// RP returns the RP with client id id, or an error wrapping
	// store.ErrNotFound.
	RP(ctx context.Context, id string) (rp.RP, error)
}

// errUnknownClient is the lookup of a client id that is not registered.
var errUnknownClient = errors.New("oidc: unknown client")

// clientCache keeps RP registrations for a short time: every request of a
// flow needs its RP, and the registry changes rarely. A suspension or a
// secret rotation takes effect on every node within the TTL.
type clientCache struct {
	src RelyingParties
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]clientEntry
}

type clientEntry struct {
	rp      rp.RP
	expires time.Time
}

// maxCachedClients bounds the cache: beyond it, the cache is emptied
// rather than grown, so that a flood of unknown client ids (never cached)
// or a huge registry cannot make it grow without bound.
const maxCachedClients = 10000

// get returns the RP with client id id, or errUnknownClient.
func (c *clientCache) get(ctx context.Context, id string) (rp.RP, error) {
	now := c.now()
	if c.ttl > 0 {
		c.mu.Lock()
		e, ok := c.entries[id]
		c.mu.Unlock()
		if ok && now.Before(e.expires) {
			return e.rp, nil
		}
	}
	r, err := c.src.RP(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rp.RP{}, errUnknownClient
	}
	if err != nil {
		return rp.RP{}, err
	}
	if c.ttl > 0 {
		c.mu.Lock()
		if len(c.entries) >= maxCachedClients {
			clear(c.entries)
		}
		c.entries[id] = clientEntry{rp: r, expires: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return r, nil
}

// client adapts an RP to the protocol library's op.Client. Every RP is a
// confidential client (client_secret_basic or client_secret_post) of the
// code flow and of the device authorization grant (the QR login).
type client struct {
	rp       rp.RP
	idTokens time.Duration
}

var _ op.Client = client{}

func (c client) GetID() string                    { return c.rp.ClientID }
func (c client) RedirectURIs() []string           { return c.rp.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return c.rp.PostLogoutRedirectURIs }
func (c client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}
func (c client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodBasic }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode}
}

// LoginURL is not used: Authorize builds the interaction URL itself.
func (c client) LoginURL(string) string               { return "" }
func (c client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration       { return c.idTokens }
func (c client) DevMode() bool                        { return false }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) IsScopeAllowed(scope string) bool     { return isClaimScope(scope) }
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// forget drops the cached registration of id, so that the next request
// reads the registry.
func (c *clientCache) forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}
