package oidc

import (
	"context"
	"errors"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// userinfoClaims is the userinfo response (OpenID Connect Core section
// 5.3.2): the subject and the released claims, nothing else.
type userinfoClaims struct {
	Subject string `json:"sub"`
	releasedClaims
}

// liveToken returns the token with value v and its RP if the token is
// active now: known, not revoked, not expired, its grant live and its RP
// active. ok is false otherwise; err only for internal failures.
func (p *Provider) liveToken(ctx context.Context, v string) (Token, Grant, rp.RP, bool, error) {
	t, g, err := p.d.Store.Token(ctx, hashID(v))
	if isNotFound(err) {
		return Token{}, Grant{}, rp.RP{}, false, nil
	}
	if err != nil {
		return Token{}, Grant{}, rp.RP{}, false, err
	}
	now := p.now()
	if !t.RevokedAt.IsZero() || !g.RevokedAt.IsZero() || !now.Before(t.ExpiresAt) || !now.Before(g.ExpiresAt) ||
		(t.Kind == TokenRefresh && !t.UsedAt.IsZero()) {
		return Token{}, Grant{}, rp.RP{}, false, nil
	}
	r, err := p.clients.get(ctx, t.ClientID)
	if errors.Is(err, errUnknownClient) {
		return Token{}, Grant{}, rp.RP{}, false, nil
	}
	if err != nil {
		return Token{}, Grant{}, rp.RP{}, false, err
	}
	if !r.Active() {
		return Token{}, Grant{}, rp.RP{}, false, nil
	}
	return t, g, r, true, nil
}

// userinfo serves the userinfo endpoint: the claims the grant released
// that the RP is still approved for, read fresh from the identity.
func (p *Provider) userinfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	t, g, relying, ok, err := p.liveToken(ctx, r.Data.AccessToken)
	if err != nil {
		return nil, p.internalError(ctx, "token lookup", err)
	}
	if !ok || t.Kind != TokenAccess {
		return nil, opStatus(errTokenInvalid(), http.StatusUnauthorized)
	}
	values, err := p.claimValues(ctx, g.ResidentID, approvedOnly(relying, g.Claims))
	if err != nil {
		if errors.Is(err, enrol.ErrNotFound) {
			return nil, opStatus(errTokenInvalid(), http.StatusUnauthorized)
		}
		return nil, p.internalError(ctx, "claim values", err)
	}
	return op.NewResponse(&userinfoClaims{Subject: g.Subject, releasedClaims: values}), nil
}

// introspection is the introspection response (RFC 7662 section 2.2).
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Expiry    int64  `json:"exp,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	Subject   string `json:"sub,omitempty"`
	Audience  string `json:"aud,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	ACR       string `json:"acr,omitempty"`
	AuthTime  int64  `json:"auth_time,omitempty"`
}

// introspect serves the introspection endpoint. The caller must be an RP
// authenticated by its secret, and it learns only about its own tokens:
// another RP's token is reported inactive, so that introspection cannot
// link subjects across RPs.
func (p *Provider) introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	c, err := p.authenticateClient(ctx, r.Data.ClientCredentials)
	if err != nil {
		return nil, err
	}
	t, g, _, ok, err := p.liveToken(ctx, r.Data.Token)
	if err != nil {
		return nil, p.internalError(ctx, "token lookup", err)
	}
	if !ok || t.ClientID != c.rp.ClientID {
		return op.NewResponse(&introspection{Active: false}), nil
	}
	typ := "Bearer"
	if t.Kind == TokenRefresh {
		typ = "refresh_token"
	}
	return op.NewResponse(&introspection{
		Active: true, Scope: oidc.SpaceDelimitedArray(g.Scopes).String(), ClientID: t.ClientID, TokenType: typ,
		Expiry: t.ExpiresAt.Unix(), IssuedAt: t.CreatedAt.Unix(), Subject: g.Subject, Audience: t.ClientID,
		Issuer: p.cfg.Issuer, ACR: string(g.ACR), AuthTime: g.AuthTime.Unix(),
	}), nil
}

// revoke serves the revocation endpoint (RFC 7009). Revoking a refresh
// token revokes its grant (every access and refresh token issued under
// it); revoking an access token revokes that token. An unknown or invalid
// token is not an error (section 2.2); another client's token is refused.
func (p *Provider) revoke(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	c, ok := r.Client.(client)
	if !ok {
		return nil, p.internalError(ctx, "revoke", errors.New("unexpected client type"))
	}
	t, _, err := p.d.Store.Token(ctx, hashID(r.Data.Token))
	if isNotFound(err) {
		return op.NewResponse(nil), nil
	}
	if err != nil {
		return nil, p.internalError(ctx, "token lookup", err)
	}
	if t.ClientID != c.rp.ClientID {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
	}
	now := p.stamp()
	if t.Kind == TokenRefresh {
		err = p.d.Store.RevokeGrant(ctx, t.GrantID, now)
	} else {
		err = p.d.Store.RevokeToken(ctx, t.Hash, now)
	}
	if err != nil && !isNotFound(err) {
		return nil, p.internalError(ctx, "revoke", err)
	}
	return op.NewResponse(nil), nil
}
