package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// QR login across devices is the OAuth 2.0 Device Authorization Grant
// (RFC 8628; docs/decisions.md says why not CIBA):
//
//	RP ──POST /oidc/device_authorization (client_id, secret, scope)──▶ device_code, user_code,
//	      verification_uri (/device), verification_uri_complete (/device?user_code=...), interval
//	RP shows the QR code of verification_uri_complete (or links to /device?user_code=..., which shows it)
//	resident ──netid wallet approve <url>──▶ GET /v1/approvals/{code}: the RP, its purposes, the claims
//	         ──▶ POST /v1/approvals/{code}: a presentation signed by the device key, the claims allowed
//	RP ──POST /oidc/token (device_code)──▶ authorization_pending | slow_down | access_denied |
//	      expired_token | tokens at substantial, amr swk
//
// Every RP is a confidential client, so the device authorization request
// authenticates like the token endpoint (with x/oauth2, pass the secret as
// the client_secret parameter).

// slowDownStep is what RFC 8628 section 3.5 adds to the interval at each
// slow_down.
const slowDownStep = 5 * time.Second

// deviceRequest is the Request of a device approval.
type deviceRequest struct {
	Scopes []string `json:"scopes"`
	// Claims are the requested claims the RP is approved for.
	Claims []rp.Claim `json:"claims,omitempty"`
	// ACR is the level the request requires.
	ACR enrol.Assurance `json:"acr"`
}

// deviceDecision is the Decision of an approved device approval.
// deniedDecision is the decision of an approval that was denied, and why
// (a denial by the resident has no reason).
type deniedDecision struct {
	// Locked is the sign-in method the resident locked ("wallet", or
	// "account" for the whole account), when that is why the approval
	// was refused.
	Locked enrol.Method `json:"locked,omitempty"`
}

// denialDescription is the error_description an RP receives for a denied
// approval: a lock is said plainly, so that the platform can tell its
// user why the sign-in failed.
func denialDescription(a Approval) string {
	var d deniedDecision
	if len(a.Decision) > 0 && json.Unmarshal(a.Decision, &d) == nil && d.Locked != "" {
		if d.Locked == enrol.MethodAccount {
			return "the resident has locked their netid account"
		}
		return "the resident has locked sign-in with the netid wallet"
	}
	return "the resident declined in the wallet"
}

type deviceDecision struct {
	InternetNumber string `json:"internet_number"`
	// Claims are the claims released: approved, requested, and allowed
	// in the wallet or remembered.
	Claims []rp.Claim `json:"claims,omitempty"`
}

// deviceScopes keeps the scopes netid knows, each once: openid,
// offline_access, profile and the claim scopes; anything else is dropped,
// as at the authorization endpoint.
func deviceScopes(in []string) []string {
	var out []string
	for _, s := range in {
		if (s == scopeOpenID || s == scopeOfflineAccess || s == scopeProfile || isClaimScope(s)) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// deviceAuthorization is the device authorization endpoint (RFC 8628
// section 3.1), behind the library's client authentication.
func (p *Provider) deviceAuthorization(ctx context.Context, r *op.ClientRequest[oidc.DeviceAuthorizationRequest]) (*op.Response, error) {
	c, ok := r.Client.(client)
	if !ok {
		return nil, p.internalError(ctx, "device authorization", fmt.Errorf("unexpected client type %T", r.Client))
	}
	scopes := deviceScopes(r.Data.Scopes)
	if !slices.Contains(scopes, scopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the scope must include openid")
	}
	required, err := requiredLevel(c.rp.MinAssurance, strings.Fields(r.Form.Get("acr_values")))
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("%s", err.Error())
	}
	if required.Rank() > maxAchievable().Rank() {
		return nil, errUnmetRequirements(fmt.Sprintf("level %s is required but a login here reaches at most %s", required, maxAchievable()))
	}
	req, err := json.Marshal(deviceRequest{Scopes: scopes, Claims: approvedOnly(c.rp, requestedClaims(scopes)), ACR: required})
	if err != nil {
		return nil, p.internalError(ctx, "device request", err)
	}
	deviceCode, err := randomID(p.rand)
	if err != nil {
		return nil, p.internalError(ctx, "device code", err)
	}
	now := p.stamp()
	a := Approval{Kind: ApprovalDevice, ClientID: c.rp.ClientID, DeviceCodeHash: hashID(deviceCode), Request: req,
		Status: ApprovalPending, PollInterval: p.cfg.DevicePollInterval, CreatedAt: now,
		ExpiresAt: now.Add(p.cfg.ApprovalLifetime), Version: 1}
	code, err := p.createApproval(ctx, &a, nil)
	if err != nil {
		return nil, p.internalError(ctx, "create approval", err)
	}
	shown := displayCode(code)
	return op.NewResponse(&oidc.DeviceAuthorizationResponse{
		DeviceCode: deviceCode, UserCode: shown,
		VerificationURI:         p.cfg.Issuer + pathDevice,
		VerificationURIComplete: p.deviceURL(shown),
		ExpiresIn:               int(p.cfg.ApprovalLifetime / time.Second),
		Interval:                int(p.cfg.DevicePollInterval / time.Second),
	}), nil
}

// deviceURL is the verification_uri_complete of a user code.
func (p *Provider) deviceURL(shown string) string {
	return p.cfg.Issuer + pathDevice + "?" + url.Values{"user_code": {shown}}.Encode()
}

// deviceToken is the device_code grant (RFC 8628 section 3.4): one poll of
// the RP. Each poll is a compare-and-set on the approval, so that the
// interval is kept on every node and the tokens are issued once.
func (p *Provider) deviceToken(ctx context.Context, r *op.ClientRequest[oidc.DeviceAccessTokenRequest]) (*op.Response, error) {
	c, ok := r.Client.(client)
	if !ok {
		return nil, p.internalError(ctx, "device token", fmt.Errorf("unexpected client type %T", r.Client))
	}
	a, err := p.d.Store.ApprovalByDeviceCode(ctx, hashID(r.Data.DeviceCode))
	switch {
	case isNotFound(err):
		return nil, oidc.ErrInvalidGrant().WithDescription("the device code is not valid")
	case err != nil:
		return nil, p.internalError(ctx, "approval lookup", err)
	case a.ClientID != c.rp.ClientID:
		return nil, oidc.ErrInvalidGrant().WithDescription("the device code is not valid")
	}
	now := p.stamp()
	switch {
	case a.Status == ApprovalDone:
		// RFC 6749 section 4.1.2 for codes, applied to the device code:
		// a second redemption revokes what the first one issued.
		if a.GrantID != "" {
			g := Grant{ID: a.GrantID, ClientID: a.ClientID}
			return nil, p.replayed(ctx, g, "the device code was used already; the tokens issued for it are revoked")
		}
		return nil, oidc.ErrInvalidGrant().WithDescription("the device code was used already")
	case a.Status == ApprovalDenied:
		return nil, oidc.ErrAccessDenied().WithDescription("%s", denialDescription(a))
	case !now.Before(a.ExpiresAt):
		return nil, oidc.ErrExpiredDeviceCode()
	case a.Status == ApprovalPending:
		return nil, p.poll(ctx, a, now)
	case a.Status != ApprovalApproved:
		return nil, p.internalError(ctx, "device token", fmt.Errorf("approval %s has status %q", a.ID, a.Status))
	}
	return p.issueDeviceTokens(ctx, c.rp, a, now)
}

// poll records a poll of a pending device approval and returns
// authorization_pending, or slow_down when it came sooner than the interval
// after the previous one (and then raises the interval by 5 seconds, RFC
// 8628 section 3.5). Two concurrent polls: one of them is slow_down.
func (p *Provider) poll(ctx context.Context, a Approval, now time.Time) error {
	next := a
	next.LastPolledAt, next.Version = now, a.Version+1
	tooSoon := !a.LastPolledAt.IsZero() && now.Before(a.LastPolledAt.Add(a.PollInterval))
	if tooSoon {
		next.PollInterval = a.PollInterval + slowDownStep
	}
	err := p.d.Store.UpdateApproval(ctx, a.Version, next)
	switch {
	case isConflict(err):
		return oidc.ErrSlowDown()
	case err != nil:
		return p.internalError(ctx, "record poll", err)
	case tooSoon:
		return oidc.ErrSlowDown().WithDescription("polled sooner than the interval; wait %d seconds between polls",
			int(next.PollInterval/time.Second))
	}
	return oidc.ErrAuthorizationPending()
}

// issueDeviceTokens issues the tokens of an approved device approval: the
// grant, the approval marked done, the tokens and the disclosure in one
// transaction (issueTokens), so that a concurrent second poll finds the
// approval done.
func (p *Provider) issueDeviceTokens(ctx context.Context, r rp.RP, a Approval, now time.Time) (*op.Response, error) {
	var req deviceRequest
	var dec deviceDecision
	if err := errors.Join(json.Unmarshal(a.Request, &req), json.Unmarshal(a.Decision, &dec)); err != nil {
		return nil, p.internalError(ctx, "decode approval", err)
	}
	subject, err := p.pairwise.subject(ctx, r.Sector, dec.InternetNumber)
	if err != nil {
		return nil, p.internalError(ctx, "pairwise subject", err)
	}
	id, err := randomID(p.rand)
	if err != nil {
		return nil, p.internalError(ctx, "grant id", err)
	}
	// The grant has no authorization code; its code hash is of a value
	// nobody ever sees, marked used, so it can never be redeemed.
	unseen, err := randomID(p.rand)
	if err != nil {
		return nil, p.internalError(ctx, "grant code", err)
	}
	life := p.cfg.AccessTokenLifetime
	if slices.Contains(req.Scopes, scopeOfflineAccess) {
		life = p.cfg.RefreshTokenLifetime
	}
	g := Grant{
		ID: id, ClientID: r.ClientID, ResidentID: a.ResidentID, Subject: subject, Scopes: req.Scopes, Claims: dec.Claims,
		ACR: enrol.AssuranceSubstantial, AMR: []string{amrSoftwareKey}, AuthTime: a.DecidedAt,
		CodeHash: hashID(unseen), CodeExpiresAt: now, CodeUsedAt: now, CreatedAt: now, ExpiresAt: now.Add(life),
	}
	done := a
	done.Status, done.GrantID, done.Version = ApprovalDone, g.ID, a.Version+1
	return p.issueTokens(ctx, r, g, DisclosureDevice, func(ctx context.Context) error {
		if err := p.d.Store.UpdateApproval(ctx, a.Version, done); err != nil {
			return err
		}
		return p.d.Store.CreateGrant(ctx, g)
	})
}

// deviceView is the page of GET /device.
type deviceView struct {
	Title, Action, Error string
	// Code is the user code shown, and URL its verification URI; both
	// empty when the page asks for a code.
	Code, URL string
	QR        template.HTML
	// Typed is what was typed, to correct.
	Typed string
}

// devicePage serves GET /device[?user_code=...]: the QR code of a device
// authorization's verification URI, which the RP shows or links to, or a
// form to type a code. It looks nothing up: the page of a code that does
// not exist shows a QR code that leads nowhere, so it tells a guesser
// nothing and needs no throttle.
func (p *Provider) devicePage(w http.ResponseWriter, r *http.Request) {
	view := deviceView{Title: "Sign in with your netid wallet", Action: pathDevice}
	typed := r.URL.Query().Get("user_code")
	if typed == "" {
		p.render(w, r, http.StatusOK, p.pages.device, view)
		return
	}
	code, ok := normalCode(typed)
	if !ok {
		view.Error = "This code is not valid. Check it and try again."
		if len(typed) <= maxCodeInput {
			view.Typed = typed
		}
		p.render(w, r, http.StatusBadRequest, p.pages.device, view)
		return
	}
	view.Code = displayCode(code)
	view.URL = p.deviceURL(view.Code)
	qr, err := qrSVG(view.URL)
	if err != nil {
		p.failInternal(w, r, "qr code", err)
		return
	}
	view.QR = qr
	p.render(w, r, http.StatusOK, p.pages.device, view)
}

// approvePageView is the page of GET /approve/{code}.
type approvePageView struct {
	Title, URL string
}

// approvePage serves GET /approve/{code}, where the QR code of a login's
// wallet approval leads a phone's camera app: the approval happens in the
// wallet, so the page says how. Like /device it looks nothing up.
func (p *Provider) approvePage(w http.ResponseWriter, r *http.Request) {
	code, ok := normalCode(r.PathValue("code"))
	if !ok {
		p.fail(w, r, http.StatusNotFound, "This code is not valid. Check it and try again.")
		return
	}
	p.render(w, r, http.StatusOK, p.pages.approve, approvePageView{Title: "Approve in your netid wallet",
		URL: p.cfg.Issuer + pathApprovePage + code})
}
