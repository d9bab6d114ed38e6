package oidc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// Bounds on values the provider stores from an authorization request.
const (
	maxStateLen     = 1024
	maxNonceLen     = 1024
	maxLoginHintLen = 64
	// s256ChallengeLen is the length of base64url(SHA-256(verifier)).
	s256ChallengeLen = 43
)

// pendingRequest is a validated authorization request, as an interaction
// keeps it (JSON in Interaction.Request).
type pendingRequest struct {
	RedirectURI string   `json:"redirect_uri"`
	State       string   `json:"state,omitempty"`
	Nonce       string   `json:"nonce,omitempty"`
	Scopes      []string `json:"scopes"`
	// Claims are the requested claims the RP is approved for: what the
	// consent page asks about.
	Claims []rp.Claim `json:"claims,omitempty"`
	// ACR is the level the request requires.
	ACR           enrol.Assurance `json:"acr"`
	CodeChallenge string          `json:"code_challenge"`
	ForceConsent  bool            `json:"force_consent,omitempty"`
	LoginHint     string          `json:"login_hint,omitempty"`
	// Browser is the hash of the browser-binding cookie: only the browser
	// that made the request can continue it.
	Browser string `json:"browser"`
}

// authorize handles an authorization request whose client and redirect
// URI the library has validated; every error returned here reaches the
// client as an error redirect (with state and iss).
func (p *Provider) authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	c, ok := r.Client.(client)
	if !ok {
		return nil, p.internalError(ctx, "authorize", fmt.Errorf("unexpected client type %T", r.Client))
	}
	pr, prompts, err := validateAuthRequest(c.rp, r.Data)
	if err != nil {
		return nil, err
	}
	sess, err := p.sessionFrom(ctx, r.Header)
	if err != nil {
		return nil, p.internalError(ctx, "session lookup", err)
	}
	if sess != nil && !p.sessionServes(sess, pr.ACR, prompts, r.Data.MaxAge) {
		sess = nil
	}
	if sess == nil && pr.ACR.Rank() > maxAchievable().Rank() {
		return nil, errUnmetRequirements(fmt.Sprintf("level %s is required but a login here reaches at most %s", pr.ACR, maxAchievable()))
	}
	none := slices.Contains(prompts, oidc.PromptNone)
	if sess != nil {
		cons, covered, err := p.consentFor(ctx, sess.ResidentID, c.rp, pr.Claims)
		if err != nil {
			return nil, p.internalError(ctx, "consent lookup", err)
		}
		if covered && !pr.ForceConsent {
			to, err := p.issueCode(ctx, c.rp, pr, *sess, released(c.rp, cons, pr.Claims), "")
			if err != nil {
				return nil, err
			}
			return op.NewRedirect(to), nil
		}
		if none {
			return nil, errConsentNeeded()
		}
	} else if none {
		return nil, oidc.ErrLoginRequired().WithDescription("the resident is not logged in")
	}
	return p.startInteraction(ctx, c.rp, pr, r.Header, sess)
}

// validateAuthRequest applies netid's rules on top of the library's: the
// code flow with PKCE S256 only, the openid scope, no request objects,
// query responses, known assurance levels, bounded values.
func validateAuthRequest(r rp.RP, ar *oidc.AuthRequest) (pendingRequest, []string, error) {
	bad := func(format string, args ...any) (pendingRequest, []string, error) {
		return pendingRequest{}, nil, oidc.ErrInvalidRequest().WithDescription(format, args...)
	}
	switch {
	case ar.RequestParam != "":
		return pendingRequest{}, nil, oidc.ErrRequestNotSupported().WithDescription("request objects are not supported")
	case ar.ResponseMode != "" && ar.ResponseMode != oidc.ResponseModeQuery:
		return bad("response_mode %s is not supported; use query", ar.ResponseMode)
	case !slices.Contains(ar.Scopes, scopeOpenID):
		return pendingRequest{}, nil, oidc.ErrInvalidScope().WithDescription("the scope must include openid")
	case ar.CodeChallenge == "":
		return bad("PKCE is required: send code_challenge with code_challenge_method S256")
	case ar.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return bad("code_challenge_method must be S256")
	case len(ar.CodeChallenge) != s256ChallengeLen || !isBase64URL(ar.CodeChallenge):
		return bad("code_challenge is not a base64url SHA-256 digest")
	case len(ar.State) > maxStateLen:
		return bad("state is longer than %d bytes", maxStateLen)
	case len(ar.Nonce) > maxNonceLen:
		return bad("nonce is longer than %d bytes", maxNonceLen)
	}
	required, err := requiredLevel(r.MinAssurance, ar.ACRValues)
	if err != nil {
		return bad("%s", err.Error())
	}
	prompts := []string(ar.Prompt)
	pr := pendingRequest{
		RedirectURI: ar.RedirectURI, State: ar.State, Nonce: ar.Nonce, Scopes: []string(ar.Scopes),
		Claims: approvedOnly(r, requestedClaims(ar.Scopes)), ACR: required, CodeChallenge: ar.CodeChallenge,
		ForceConsent: slices.Contains(prompts, oidc.PromptConsent),
	}
	if len(ar.LoginHint) <= maxLoginHintLen {
		pr.LoginHint = ar.LoginHint
	}
	return pr, prompts, nil
}

// isBase64URL reports whether s uses only the base64url alphabet.
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// sessionServes reports whether a login session may answer a request
// without a new login: no prompt to log in again (login, select_account),
// recent enough for max_age, and at the required level.
func (p *Provider) sessionServes(s *LoginSession, required enrol.Assurance, prompts []string, maxAge *uint) bool {
	if slices.Contains(prompts, oidc.PromptLogin) || slices.Contains(prompts, oidc.PromptSelectAccount) {
		return false
	}
	if maxAge != nil && p.now().Sub(s.AuthTime) > time.Duration(*maxAge)*time.Second {
		return false
	}
	return s.ACR.Rank() >= required.Rank()
}

// sessionFrom returns the live login session the request's cookie names,
// or nil when there is none (no cookie, a forged or stale one, expired).
func (p *Provider) sessionFrom(ctx context.Context, h http.Header) (*LoginSession, error) {
	v := cookieValue(h, p.cookies.session)
	if v == "" {
		return nil, nil
	}
	id, err := openValue(ctx, p.d.Keys, sessionCookieDomain, v)
	if errors.Is(err, errBadCookie) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := p.d.Store.LoginSession(ctx, hashID(id))
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !p.now().Before(s.ExpiresAt) {
		return nil, nil
	}
	return &s, nil
}

// consentFor returns the resident's remembered consent for r (zero when
// none) and whether it covers claims cs.
func (p *Provider) consentFor(ctx context.Context, residentID string, r rp.RP, cs []rp.Claim) (Consent, bool, error) {
	c, err := p.d.Store.RememberedConsent(ctx, residentID, r.ClientID)
	if isNotFound(err) {
		c = Consent{ResidentID: residentID, ClientID: r.ClientID}
	} else if err != nil {
		return Consent{}, false, err
	}
	return c, covers(r, c, cs), nil
}

// startInteraction stores the request and sends the browser to the login
// page (no usable session) or the consent page (a session that only lacks
// consent), setting the browser-binding cookie if the browser has none.
func (p *Provider) startInteraction(ctx context.Context, r rp.RP, pr pendingRequest, h http.Header, sess *LoginSession) (*op.Redirect, error) {
	browser, err := p.browserFrom(ctx, h)
	if err != nil {
		return nil, p.internalError(ctx, "browser cookie", err)
	}
	var setCookie *http.Cookie
	if browser == "" {
		if browser, err = randomID(p.rand); err != nil {
			return nil, p.internalError(ctx, "browser id", err)
		}
		signed, err := signValue(ctx, p.d.Keys, browserCookieDomain, browser)
		if err != nil {
			return nil, p.internalError(ctx, "browser cookie", err)
		}
		setCookie = p.cookies.cookie(p.cookies.browser, signed, time.Time{}, 0)
	}
	pr.Browser = hex.EncodeToString(hashID(browser))
	req, err := json.Marshal(pr)
	if err != nil {
		return nil, p.internalError(ctx, "interaction", err)
	}
	id, err := randomID(p.rand)
	if err != nil {
		return nil, p.internalError(ctx, "interaction id", err)
	}
	now := p.stamp()
	in := Interaction{ID: id, ClientID: r.ClientID, Request: req, CreatedAt: now,
		ExpiresAt: now.Add(p.cfg.InteractionLifetime), Version: 1}
	next := pathLogin
	if sess != nil {
		in.SessionHash, next = sess.IDHash, pathConsent
	}
	if err := p.d.Store.CreateInteraction(ctx, in); err != nil {
		return nil, p.internalError(ctx, "create interaction", err)
	}
	red := op.NewRedirect(p.cfg.Issuer + next + "?" + url.Values{"id": {id}}.Encode())
	if setCookie != nil {
		red.Header.Add("Set-Cookie", setCookie.String())
	}
	return red, nil
}

// browserFrom returns the browser id of the request's binding cookie, or
// "" when it has none that verifies.
func (p *Provider) browserFrom(ctx context.Context, h http.Header) (string, error) {
	v := cookieValue(h, p.cookies.browser)
	if v == "" {
		return "", nil
	}
	id, err := openValue(ctx, p.d.Keys, browserCookieDomain, v)
	if errors.Is(err, errBadCookie) {
		return "", nil
	}
	return id, err
}

// issueCode creates the grant of a finished authorization and returns the
// redirect to the client with the code, the state and the issuer (RFC
// 9207). When interactionID is set, the interaction is deleted in the same
// transaction, so that it yields one code at most.
func (p *Provider) issueCode(ctx context.Context, r rp.RP, pr pendingRequest, s LoginSession, claims []rp.Claim, interactionID string) (string, error) {
	subject, err := p.pairwise.subject(ctx, r.Sector, s.InternetNumber)
	if err != nil {
		return "", p.internalError(ctx, "pairwise subject", err)
	}
	code, err := randomID(p.rand)
	if err != nil {
		return "", p.internalError(ctx, "code", err)
	}
	id, err := randomID(p.rand)
	if err != nil {
		return "", p.internalError(ctx, "grant id", err)
	}
	now := p.stamp()
	life := p.cfg.CodeLifetime + p.cfg.AccessTokenLifetime
	if slices.Contains(pr.Scopes, scopeOfflineAccess) {
		life = p.cfg.RefreshTokenLifetime
	}
	g := Grant{
		ID: id, ClientID: r.ClientID, ResidentID: s.ResidentID, Subject: subject, Scopes: pr.Scopes, Claims: claims,
		ACR: s.ACR, AMR: s.AMR, AuthTime: s.AuthTime, Nonce: pr.Nonce, RedirectURI: pr.RedirectURI,
		CodeHash: hashID(code), CodeChallenge: pr.CodeChallenge, CodeExpiresAt: now.Add(p.cfg.CodeLifetime),
		CreatedAt: now, ExpiresAt: now.Add(life),
	}
	if interactionID == "" {
		// Single sign-on: one insert, the whole write of the front channel.
		err = p.d.Store.CreateGrant(ctx, g)
	} else {
		err = p.d.Store.InTx(ctx, func(ctx context.Context) error {
			if err := p.d.Store.DeleteInteraction(ctx, interactionID); err != nil {
				return err
			}
			return p.d.Store.CreateGrant(ctx, g)
		})
	}
	if isNotFound(err) {
		return "", errInteractionGone
	}
	if err != nil {
		return "", p.internalError(ctx, "create grant", err)
	}
	return responseURL(pr.RedirectURI, url.Values{"code": {code}, "state": optional(pr.State), "iss": {p.cfg.Issuer}}), nil
}

// errInteractionGone: the interaction was finished (or expired and
// pruned) by another request, such as a second click on "Allow".
var errInteractionGone = errors.New("oidc: the sign-in request was finished already")

// optional returns a one-value list, or nil for "" (left out of a URL).
func optional(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// responseURL adds params to the redirect URI's query, keeping the query
// the URI was registered with (RFC 6749 section 3.1.2).
func responseURL(redirectURI string, params url.Values) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		// Registered URIs parse (rp.CheckRedirectURI); this is unreachable
		// for a validated request.
		return redirectURI
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// errorURL is the error response of an authorization request after its
// redirect URI was validated: error, description, state and issuer.
func (p *Provider) errorURL(pr pendingRequest, e *oidc.Error) string {
	return responseURL(pr.RedirectURI, url.Values{"error": {string(e.ErrorType)},
		"error_description": optional(e.Description), "state": optional(pr.State), "iss": {p.cfg.Issuer}})
}
