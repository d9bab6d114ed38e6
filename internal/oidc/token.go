package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// idTokenClaims is the payload of an ID token (OpenID Connect Core
// section 2) with the released claims inline. A struct rather than a map:
// what can appear is fixed here, and encoding it is cheap.
type idTokenClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience string   `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce,omitempty"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AZP      string   `json:"azp"`
	ATHash   string   `json:"at_hash,omitempty"`
	releasedClaims
}

// atHash is the at_hash of an access token for ES256: the left half of
// its SHA-256, base64url (OpenID Connect Core section 3.1.3.6).
func atHash(accessToken string) string {
	h := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

// errReplayed ends a token transaction whose code or refresh token was
// used meanwhile: the grant is revoked after the rollback.
var errReplayed = errors.New("oidc: code or refresh token used already")

// minVerifierLen and maxVerifierLen bound a PKCE code verifier (RFC 7636
// section 4.1).
const (
	minVerifierLen = 43
	maxVerifierLen = 128
)

// codeExchange is the authorization_code grant (RFC 6749 section 4.1.3).
func (p *Provider) codeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	c, ok := r.Client.(client)
	if !ok {
		return nil, p.internalError(ctx, "code exchange", fmt.Errorf("unexpected client type %T", r.Client))
	}
	invalid := func(desc string) error { return oidc.ErrInvalidGrant().WithDescription("%s", desc) }
	g, err := p.d.Store.GrantByCode(ctx, hashID(r.Data.Code))
	switch {
	case isNotFound(err):
		return nil, invalid("the authorization code is not valid")
	case err != nil:
		return nil, p.internalError(ctx, "grant lookup", err)
	case g.ClientID != c.rp.ClientID:
		// Another client's code: refused, and it changes nothing, so that
		// no client can burn another's code.
		return nil, invalid("the authorization code is not valid")
	case !g.CodeUsedAt.IsZero():
		return nil, p.replayed(ctx, g, "the authorization code was used already; the tokens issued for it are revoked")
	case !g.RevokedAt.IsZero():
		return nil, invalid("the authorization code was revoked")
	case !p.now().Before(g.CodeExpiresAt):
		return nil, invalid("the authorization code has expired")
	case r.Data.RedirectURI != g.RedirectURI:
		return nil, invalid("redirect_uri does not match the authorization request")
	case r.Data.CodeVerifier == "":
		return nil, invalid("code_verifier is required (PKCE)")
	case len(r.Data.CodeVerifier) < minVerifierLen || len(r.Data.CodeVerifier) > maxVerifierLen ||
		!oidc.VerifyCodeChallenge(&oidc.CodeChallenge{Challenge: g.CodeChallenge, Method: oidc.CodeChallengeMethodS256}, r.Data.CodeVerifier):
		return nil, invalid("code_verifier does not match the code_challenge")
	}
	now := p.stamp()
	return p.issueTokens(ctx, c.rp, g, DisclosureCode, func(ctx context.Context) error {
		return p.d.Store.UseGrantCode(ctx, g.ID, now)
	})
}

// refresh is the refresh_token grant (RFC 6749 section 6) with rotation:
// each refresh token is used once and replaced; a second use of one is
// taken as theft (RFC 9700 section 4.14.2) and revokes the whole grant.
func (p *Provider) refresh(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	c, ok := r.Client.(client)
	if !ok {
		return nil, p.internalError(ctx, "refresh", fmt.Errorf("unexpected client type %T", r.Client))
	}
	invalid := func(desc string) error { return oidc.ErrInvalidGrant().WithDescription("%s", desc) }
	t, g, err := p.d.Store.Token(ctx, hashID(r.Data.RefreshToken))
	now := p.now()
	switch {
	case isNotFound(err):
		return nil, invalid("the refresh token is not valid")
	case err != nil:
		return nil, p.internalError(ctx, "token lookup", err)
	case t.Kind != TokenRefresh || t.ClientID != c.rp.ClientID:
		return nil, invalid("the refresh token is not valid")
	case !t.RevokedAt.IsZero() || !g.RevokedAt.IsZero():
		return nil, invalid("the refresh token was revoked")
	case !t.UsedAt.IsZero():
		return nil, p.replayed(ctx, g, "the refresh token was used already; every token of this grant is revoked")
	case !now.Before(t.ExpiresAt) || !now.Before(g.ExpiresAt):
		return nil, invalid("the refresh token has expired")
	}
	for _, s := range r.Data.Scopes {
		if !slices.Contains(g.Scopes, s) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %q was not granted", s)
		}
	}
	stamp := p.stamp()
	return p.issueTokens(ctx, c.rp, g, DisclosureRefresh, func(ctx context.Context) error {
		return p.d.Store.UseToken(ctx, t.Hash, stamp)
	})
}

// replayed revokes grant g, whose code or refresh token was presented a
// second time, and returns the invalid_grant error for the request: every
// token issued from the code or refreshed under it stops working (RFC 6749
// section 4.1.2, RFC 9700 section 4.14.2).
//
// A grant that does not exist (its creation was rolled back: a device code
// redeemed twice at once) has nothing to revoke.
func (p *Provider) replayed(ctx context.Context, g Grant, desc string) error {
	if err := p.d.Store.RevokeGrant(ctx, g.ID, p.stamp()); err != nil && !isNotFound(err) {
		return p.internalError(ctx, "revoke replayed grant", err)
	}
	p.log.WarnContext(ctx, "oidc: replay refused, grant revoked", "grant", g.ID, "client", g.ClientID)
	return oidc.ErrInvalidGrant().WithDescription("%s", desc)
}

// issueTokens issues an access token, a refresh token when the grant has
// offline_access, and an ID token, and records the disclosure. use marks
// the code or refresh token used; it runs in the same transaction as the
// token inserts and the disclosure, so that a concurrent second use finds
// it used (and revokes the grant) and a disclosure exists exactly when
// tokens do.
func (p *Provider) issueTokens(ctx context.Context, r rp.RP, g Grant, kind DisclosureKind, use func(context.Context) error) (*op.Response, error) {
	claims := approvedOnly(r, g.Claims)
	values, err := p.claimValues(ctx, g.ResidentID, claims)
	if err != nil {
		if errors.Is(err, enrol.ErrNotFound) {
			return nil, oidc.ErrInvalidGrant().WithDescription("the account no longer exists")
		}
		return nil, p.internalError(ctx, "claim values", err)
	}
	access, err := randomID(p.rand)
	if err != nil {
		return nil, p.internalError(ctx, "token", err)
	}
	var refresh string
	if slices.Contains(g.Scopes, scopeOfflineAccess) {
		if refresh, err = randomID(p.rand); err != nil {
			return nil, p.internalError(ctx, "token", err)
		}
	}
	discID, err := randomID(p.rand)
	if err != nil {
		return nil, p.internalError(ctx, "disclosure id", err)
	}
	now := p.stamp()
	accessExp := minTime(now.Add(p.cfg.AccessTokenLifetime), g.ExpiresAt)
	// The disclosure is appended to the transparency log in this
	// transaction: mark it, so that concurrent token responses queue for
	// the log instead of aborting each other.
	err = p.d.Store.InTx(store.WithLogAppend(ctx), func(ctx context.Context) error {
		if err := use(ctx); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errReplayed
			}
			return err
		}
		err := p.d.Store.CreateToken(ctx, Token{Hash: hashID(access), Kind: TokenAccess, GrantID: g.ID,
			ClientID: g.ClientID, CreatedAt: now, ExpiresAt: accessExp})
		if err == nil && refresh != "" {
			err = p.d.Store.CreateToken(ctx, Token{Hash: hashID(refresh), Kind: TokenRefresh, GrantID: g.ID,
				ClientID: g.ClientID, CreatedAt: now, ExpiresAt: g.ExpiresAt})
		}
		if err != nil {
			return err
		}
		return p.d.Disclosures.RecordDisclosure(ctx, Disclosure{ID: discID, ResidentID: g.ResidentID,
			ClientID: g.ClientID, GrantID: g.ID, At: now, ACR: g.ACR, Claims: claims, Kind: kind})
	})
	if errors.Is(err, errReplayed) {
		return nil, p.replayed(ctx, g, "the authorization code or refresh token was used already; the tokens issued for it are revoked")
	}
	if err != nil {
		return nil, p.internalError(ctx, "issue tokens", err)
	}
	nonce := g.Nonce
	if kind == DisclosureRefresh {
		nonce = "" // OpenID Connect Core section 12.2: only the original ID token carries it
	}
	idToken, err := p.signIDToken(r, g, nonce, values, access, now)
	if err != nil {
		return nil, p.internalError(ctx, "sign id token", err)
	}
	resp := op.NewResponse(&oidc.AccessTokenResponse{
		AccessToken: access, TokenType: oidc.BearerToken, RefreshToken: refresh,
		ExpiresIn: uint64(accessExp.Sub(now) / time.Second), IDToken: idToken, Scope: g.Scopes,
	})
	return resp, nil
}

// minTime returns the earlier of a and b.
func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// claimValues reads what released claims need: the account for the
// internet number, the sealed identity for the rest (only when such a
// claim is released: result-only logins touch neither).
func (p *Provider) claimValues(ctx context.Context, residentID string, claims []rp.Claim) (releasedClaims, error) {
	if len(claims) == 0 {
		return releasedClaims{}, nil
	}
	var number string
	if slices.Contains(claims, rp.ClaimInternetNumber) {
		acct, err := p.d.Residents.Resident(ctx, residentID)
		if err != nil {
			return releasedClaims{}, err
		}
		number = string(acct.InternetNumber)
	}
	var id enrol.Identity
	if needsIdentity(claims) {
		var err error
		if id, err = p.d.Residents.Identity(ctx, residentID); err != nil {
			return releasedClaims{}, err
		}
	}
	return claimValues(claims, number, id, p.now()), nil
}

// signIDToken builds and signs the ID token of grant g.
func (p *Provider) signIDToken(r rp.RP, g Grant, nonce string, values releasedClaims, accessToken string, now time.Time) (string, error) {
	claims := idTokenClaims{
		Issuer: p.cfg.Issuer, Subject: g.Subject, Audience: r.ClientID,
		Expiry: now.Add(p.cfg.IDTokenLifetime).Unix(), IssuedAt: now.Unix(), AuthTime: g.AuthTime.Unix(),
		Nonce: nonce, ACR: string(g.ACR), AMR: g.AMR, AZP: r.ClientID, releasedClaims: values,
	}
	if accessToken != "" {
		claims.ATHash = atHash(accessToken)
	}
	payload, err := json.Marshal(&claims)
	if err != nil {
		return "", err
	}
	return p.signer.sign(payload)
}
