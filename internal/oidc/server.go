package oidc

import (
	"context"
	"errors"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// server implements the protocol library's op.Server: the library routes
// each endpoint, parses and checks the request's required fields, validates
// the redirect URI against the client before anything else, and renders
// every error in the OAuth format (as a redirect to the client once the
// redirect URI is known good, as JSON otherwise); the methods here decide.
type server struct {
	op.UnimplementedServer
	p *Provider
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }

// discoveryDocument is the library's discovery document plus the RFC 9207
// parameter, which it does not list.
type discoveryDocument struct {
	*oidc.DiscoveryConfiguration
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// Discovery implements op.Server (OpenID Connect Discovery 1.0 section 3).
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	iss := s.p.cfg.Issuer
	scopes := []string{scopeOpenID, scopeOfflineAccess, scopeProfile}
	claims := []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash"}
	for _, c := range rp.Claims() {
		scopes = append(scopes, string(c))
		claims = append(claims, string(c))
	}
	auth := []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	doc := discoveryDocument{
		DiscoveryConfiguration: &oidc.DiscoveryConfiguration{
			Issuer:                                    iss,
			AuthorizationEndpoint:                     iss + pathAuthorize,
			TokenEndpoint:                             iss + pathToken,
			IntrospectionEndpoint:                     iss + pathIntrospect,
			UserinfoEndpoint:                          iss + pathUserinfo,
			RevocationEndpoint:                        iss + pathRevoke,
			EndSessionEndpoint:                        iss + pathEndSession,
			JwksURI:                                   iss + pathJWKS,
			DeviceAuthorizationEndpoint:               iss + pathDeviceAuthorization,
			ScopesSupported:                           scopes,
			ResponseTypesSupported:                    []string{string(oidc.ResponseTypeCode)},
			ResponseModesSupported:                    []string{string(oidc.ResponseModeQuery)},
			GrantTypesSupported:                       []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode},
			ACRValuesSupported:                        achievableLevels(),
			SubjectTypesSupported:                     []string{"pairwise"},
			IDTokenSigningAlgValuesSupported:          []string{"ES256"},
			TokenEndpointAuthMethodsSupported:         auth,
			RevocationEndpointAuthMethodsSupported:    auth,
			IntrospectionEndpointAuthMethodsSupported: auth,
			ClaimsSupported:                           claims,
			CodeChallengeMethodsSupported:             []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256},
			UILocalesSupported:                        nil,
		},
		AuthorizationResponseIssParameterSupported: true,
	}
	return op.NewResponse(doc), nil
}

// Keys implements op.Server: the JWKS of the active, pending and retiring
// token-signing keys.
func (s *server) Keys(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	set, err := jwks(s.p.d.Keys)
	if err != nil {
		return nil, s.p.internalError(ctx, "jwks", err)
	}
	resp := op.NewResponse(set)
	// Short enough that a rotation reaches every RP quickly; RPs also
	// refetch when they meet an unknown key id.
	resp.Header.Set("Cache-Control", "public, max-age=300")
	return resp, nil
}

// VerifyAuthRequest implements op.Server: it finds the client. The library
// validates the redirect URI against it next; any error here is answered
// without a redirect.
func (s *server) VerifyAuthRequest(ctx context.Context, r *op.Request[oidc.AuthRequest]) (*op.ClientRequest[oidc.AuthRequest], error) {
	if r.Data.ClientID == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("client_id is missing")
	}
	c, err := s.p.activeClient(ctx, r.Data.ClientID)
	if err != nil {
		return nil, err
	}
	return &op.ClientRequest[oidc.AuthRequest]{Request: r, Client: c}, nil
}

// activeClient returns the client of an active RP, or the protocol error
// for an unknown or suspended one.
func (p *Provider) activeClient(ctx context.Context, id string) (client, error) {
	r, err := p.clients.get(ctx, id)
	switch {
	case errors.Is(err, errUnknownClient):
		return client{}, oidc.ErrInvalidRequest().WithDescription("unknown client_id")
	case err != nil:
		return client{}, p.internalError(ctx, "client lookup", err)
	case !r.Active():
		return client{}, oidc.ErrInvalidRequest().WithDescription("the client is suspended")
	}
	return client{rp: r, idTokens: p.cfg.IDTokenLifetime}, nil
}

// VerifyClient implements op.Server: client authentication at the token
// and revocation endpoints, by client secret (HTTP Basic or form). Every
// failure is invalid_client with HTTP 401 and the same description, so
// that a caller learns nothing about which client ids exist.
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	return s.p.authenticateClient(ctx, r.Data)
}

// authenticateClient checks client credentials.
func (p *Provider) authenticateClient(ctx context.Context, cc *op.ClientCredentials) (client, error) {
	fail := func() (client, error) {
		return client{}, opStatus(oidc.ErrInvalidClient().WithDescription("client authentication failed"), http.StatusUnauthorized)
	}
	if cc == nil || cc.ClientAssertion != "" || cc.ClientID == "" {
		return fail()
	}
	r, err := p.clients.get(ctx, cc.ClientID)
	switch {
	case errors.Is(err, errUnknownClient):
		return fail()
	case err != nil:
		return client{}, p.internalError(ctx, "client lookup", err)
	case !r.SecretMatches(cc.ClientSecret) || !r.Active():
		return fail()
	}
	return client{rp: r, idTokens: p.cfg.IDTokenLifetime}, nil
}

// Authorize implements op.Server.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	return s.p.authorize(ctx, r)
}

// CodeExchange implements op.Server.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	return s.p.codeExchange(ctx, r)
}

// RefreshToken implements op.Server.
func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	return s.p.refresh(ctx, r)
}

// UserInfo implements op.Server.
func (s *server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	return s.p.userinfo(ctx, r)
}

// Introspect implements op.Server.
func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	return s.p.introspect(ctx, r)
}

// Revocation implements op.Server.
func (s *server) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	return s.p.revoke(ctx, r)
}

// DeviceAuthorization implements op.Server (RFC 8628 section 3.1).
func (s *server) DeviceAuthorization(ctx context.Context, r *op.ClientRequest[oidc.DeviceAuthorizationRequest]) (*op.Response, error) {
	return s.p.deviceAuthorization(ctx, r)
}

// DeviceToken implements op.Server (RFC 8628 section 3.4).
func (s *server) DeviceToken(ctx context.Context, r *op.ClientRequest[oidc.DeviceAccessTokenRequest]) (*op.Response, error) {
	return s.p.deviceToken(ctx, r)
}

// EndSession implements op.Server.
func (s *server) EndSession(ctx context.Context, r *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	return s.p.endSession(ctx, r)
}
