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
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// flow is an interaction being continued by the browser that started it.
type flow struct {
	in      Interaction
	pr      pendingRequest
	rp      rp.RP
	browser string
}

// CSRF purposes: a token for one form is no good for another.
const (
	csrfLogin   = "login"
	csrfConsent = "consent"
	csrfLogout  = "logout"
)

// maxInteractionIDLen bounds the id read from a URL or form.
const maxInteractionIDLen = 64

// loadFlow finds the interaction id and checks that this browser started
// it and that its RP is still active. On failure it renders the error page
// and returns false.
func (p *Provider) loadFlow(w http.ResponseWriter, r *http.Request, id string) (*flow, bool) {
	ctx := r.Context()
	if id == "" || len(id) > maxInteractionIDLen {
		p.fail(w, r, http.StatusBadRequest, "This sign-in link is not valid. Go back to the site you came from and start again.")
		return nil, false
	}
	in, err := p.d.Store.Interaction(ctx, id)
	if isNotFound(err) || (err == nil && !p.now().Before(in.ExpiresAt)) {
		p.fail(w, r, http.StatusBadRequest, "This sign-in request has expired or was finished already. Go back to the site you came from and start again.")
		return nil, false
	}
	if err != nil {
		p.failInternal(w, r, "load interaction", err)
		return nil, false
	}
	f := &flow{in: in}
	if err := json.Unmarshal(in.Request, &f.pr); err != nil {
		p.failInternal(w, r, "decode interaction", err)
		return nil, false
	}
	if f.browser, err = p.browserFrom(ctx, r.Header); err != nil {
		p.failInternal(w, r, "browser cookie", err)
		return nil, false
	}
	if f.browser == "" || hex.EncodeToString(hashID(f.browser)) != f.pr.Browser {
		// Another browser (or none) holds this link: continuing it here
		// would let someone log a victim into their own session.
		p.fail(w, r, http.StatusForbidden, "This sign-in was started in another browser. Go back to the site you came from and start again here.")
		return nil, false
	}
	c, err := p.activeClient(ctx, in.ClientID)
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, "The site you came from can no longer use netid.")
		return nil, false
	}
	f.rp = c.rp
	return f, true
}

// checkPost parses a POSTed form and checks its CSRF token for purpose.
func (p *Provider) checkPost(w http.ResponseWriter, r *http.Request, purpose string) (*flow, bool) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return nil, false
	}
	f, ok := p.loadFlow(w, r, r.PostFormValue("id"))
	if !ok {
		return nil, false
	}
	good, err := checkCSRF(r.Context(), p.d.Keys, r.PostFormValue("csrf"), purpose, f.in.ID, f.browser)
	if err != nil {
		p.failInternal(w, r, "csrf", err)
		return nil, false
	}
	if !good {
		p.fail(w, r, http.StatusForbidden, "This form has expired. Go back to the site you came from and start again.")
		return nil, false
	}
	return f, true
}

// loginPage serves GET /login?id=...
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	f, ok := p.loadFlow(w, r, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	p.renderLogin(w, r, f, http.StatusOK, f.pr.LoginHint, "")
}

func (p *Provider) renderLogin(w http.ResponseWriter, r *http.Request, f *flow, status int, username, msg string) {
	token, err := csrfToken(r.Context(), p.d.Keys, csrfLogin, f.in.ID, f.browser)
	if err != nil {
		p.failInternal(w, r, "csrf", err)
		return
	}
	p.render(w, r, status, p.pages.login, loginView{Title: "Log in with netid", RPName: f.rp.Name,
		Action: pathLogin, ID: f.in.ID, CSRF: token, Username: username, Error: msg})
}

// login serves POST /login: it checks the password, starts a login session
// and moves on to consent or back to the RP.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	f, ok := p.checkPost(w, r, csrfLogin)
	if !ok {
		return
	}
	ctx := r.Context()
	username := strings.TrimSpace(r.PostFormValue("username"))
	acct, err := p.d.Residents.AuthenticateResident(ctx, username, r.PostFormValue("password"), p.clientAddr(r))
	var throttled *enrol.ThrottledError
	switch {
	case err == nil:
	case errors.Is(err, enrol.ErrBadCredentials):
		p.renderLogin(w, r, f, http.StatusBadRequest, username, "The internet number, phone number or password is not right.")
		return
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.FormatInt(throttled.RetryAfterSeconds(), 10))
		p.renderLogin(w, r, f, http.StatusTooManyRequests, username,
			fmt.Sprintf("Too many attempts. Try again in %d seconds.", throttled.RetryAfterSeconds()))
		return
	case errors.Is(err, enrol.ErrAccountPending):
		p.renderLogin(w, r, f, http.StatusForbidden, username, "Your account is waiting for your guardian's approval.")
		return
	case errors.Is(err, enrol.ErrAccountLocked):
		p.renderLogin(w, r, f, http.StatusForbidden, username, "You have locked your netid account, so every way of signing in is refused. Unlock it in your netid wallet.")
		return
	case errors.Is(err, enrol.ErrMethodLocked):
		p.renderLogin(w, r, f, http.StatusForbidden, username, "You have locked sign-in with your password. Unlock it in your netid account or wallet.")
		return
	case errors.Is(err, password.ErrBusy):
		w.Header().Set("Retry-After", "5")
		p.renderLogin(w, r, f, http.StatusServiceUnavailable, username, "The service is busy. Try again in a moment.")
		return
	default:
		p.failInternal(w, r, "authenticate", err)
		return
	}

	// A password alone reaches low. A request that needs more asks for
	// the wallet's second factor next (stepup.go); /authorize refused it
	// already if not even that can reach the level, and an account whose
	// ceiling is lower cannot reach it at all: a session never stands in
	// for a level it did not reach.
	if f.pr.ACR.Rank() > enrol.AssuranceLow.Rank() {
		if acct.AssuranceCeiling.Rank() < f.pr.ACR.Rank() || f.pr.ACR.Rank() > maxAchievable().Rank() {
			p.finishWithError(w, r, f, errUnmetRequirements(fmt.Sprintf("level %s is required; this account reaches at most %s", f.pr.ACR, acct.AssuranceCeiling)))
			return
		}
		p.beginStepUp(w, r, f, acct)
		return
	}
	p.completeLogin(w, r, f, acct, enrol.AssuranceLow, []string{amrPassword}, nil)
}

// completeLogin starts the login session of a flow whose resident has
// authenticated at level acr by methods amr, and continues to consent or
// back to the RP. The session, the interaction's link to it and what
// commit does (the second factor's approval marked used) are one
// transaction, so that an approval yields one session at most.
func (p *Provider) completeLogin(w http.ResponseWriter, r *http.Request, f *flow, acct enrol.Account, acr enrol.Assurance,
	amr []string, commit func(ctx context.Context) error) {
	ctx := r.Context()
	sess, sessionID, err := p.newSession(acct, acr, amr)
	if err != nil {
		p.failInternal(w, r, "start session", err)
		return
	}
	next := f.in
	next.SessionHash, next.Version = sess.IDHash, f.in.Version+1
	err = p.d.Store.InTx(ctx, func(ctx context.Context) error {
		if commit != nil {
			if err := commit(ctx); err != nil {
				return err
			}
		}
		if err := p.d.Store.CreateLoginSession(ctx, sess); err != nil {
			return err
		}
		return p.d.Store.UpdateInteraction(ctx, f.in.Version, next)
	})
	switch {
	case isNotFound(err) || errors.Is(err, store.ErrConflict):
		// Another request finished the interaction or used the approval
		// meanwhile (a second click).
		p.fail(w, r, http.StatusBadRequest, "This sign-in request was finished already. Go back to the site you came from.")
		return
	case err != nil:
		p.failInternal(w, r, "start session", err)
		return
	}
	if err := p.setSessionCookie(w, r, sess, sessionID); err != nil {
		p.failInternal(w, r, "session cookie", err)
		return
	}
	f.in = next
	p.afterLogin(w, r, f, sess)
}

// afterLogin continues a flow whose resident is logged in: back to the RP
// when the remembered consent covers the request, else to the consent
// page.
func (p *Provider) afterLogin(w http.ResponseWriter, r *http.Request, f *flow, sess LoginSession) {
	cons, covered, err := p.consentFor(r.Context(), sess.ResidentID, f.rp, f.pr.Claims)
	if err != nil {
		p.failInternal(w, r, "consent lookup", err)
		return
	}
	if covered && !f.pr.ForceConsent {
		p.finish(w, r, f, sess, released(f.rp, cons, f.pr.Claims))
		return
	}
	http.Redirect(w, r, pathConsent+"?"+url.Values{"id": {f.in.ID}}.Encode(), http.StatusSeeOther)
}

// newSession draws a login session (not yet stored) and its id: a login
// always gets a fresh session id (no session fixation).
func (p *Provider) newSession(acct enrol.Account, acr enrol.Assurance, amr []string) (LoginSession, string, error) {
	id, err := randomID(p.rand)
	if err != nil {
		return LoginSession{}, "", err
	}
	now := p.stamp()
	return LoginSession{IDHash: hashID(id), ResidentID: acct.ID, InternetNumber: string(acct.InternetNumber),
		ACR: acr, AMR: amr, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(p.cfg.SessionLifetime)}, id, nil
}

// setSessionCookie hands the browser its new session, stored already, and
// ends the session the browser had before, if any.
func (p *Provider) setSessionCookie(w http.ResponseWriter, r *http.Request, sess LoginSession, id string) error {
	ctx := r.Context()
	if old, err := p.sessionFrom(ctx, r.Header); err == nil && old != nil && !sameHash(old.IDHash, sess.IDHash) {
		if err := p.d.Store.DeleteLoginSession(ctx, old.IDHash); err != nil && !isNotFound(err) {
			p.log.WarnContext(ctx, "oidc: ending the previous session failed", "err", err)
		}
	}
	signed, err := signValue(ctx, p.d.Keys, sessionCookieDomain, id)
	if err != nil {
		return err
	}
	http.SetCookie(w, p.cookies.cookie(p.cookies.session, signed, sess.ExpiresAt, 0))
	return nil
}

// flowSession returns the login session of a flow at the consent step: the
// browser's session, which must be the one the flow was logged in with.
func (p *Provider) flowSession(w http.ResponseWriter, r *http.Request, f *flow) (LoginSession, bool) {
	sess, err := p.sessionFrom(r.Context(), r.Header)
	if err != nil {
		p.failInternal(w, r, "session lookup", err)
		return LoginSession{}, false
	}
	if sess == nil || !sameHash(sess.IDHash, f.in.SessionHash) {
		p.fail(w, r, http.StatusForbidden, "You are not logged in any more. Go back to the site you came from and start again.")
		return LoginSession{}, false
	}
	return *sess, true
}

// consentPage serves GET /consent?id=...
func (p *Provider) consentPage(w http.ResponseWriter, r *http.Request) {
	f, ok := p.loadFlow(w, r, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	if _, ok := p.flowSession(w, r, f); !ok {
		return
	}
	token, err := csrfToken(r.Context(), p.d.Keys, csrfConsent, f.in.ID, f.browser)
	if err != nil {
		p.failInternal(w, r, "csrf", err)
		return
	}
	view := consentView{Title: "Share information with " + f.rp.Name, RPName: f.rp.Name, Action: pathConsent,
		ID: f.in.ID, CSRF: token, Onward: f.rp.SharesOnward}
	for _, it := range consentItems(f.rp, f.pr.Claims) {
		view.Items = append(view.Items, consentItemView{Claim: string(it.Claim), Label: claimLabels[it.Claim], Purpose: it.Purpose})
		if it.Class == rp.ClassIdentity {
			view.Plaintext = true
		}
	}
	if len(view.Items) == 0 {
		view.Onward = false // nothing to share onward
	}
	p.render(w, r, http.StatusOK, p.pages.consent, view)
}

// consent serves POST /consent: the resident's decision, claim by claim.
func (p *Provider) consent(w http.ResponseWriter, r *http.Request) {
	f, ok := p.checkPost(w, r, csrfConsent)
	if !ok {
		return
	}
	sess, ok := p.flowSession(w, r, f)
	if !ok {
		return
	}
	if r.PostFormValue("action") != "allow" {
		p.finishWithError(w, r, f, oidc.ErrAccessDenied().WithDescription("the resident declined"))
		return
	}
	ticked := r.PostForm["claim"]
	now := p.stamp()
	c := Consent{ResidentID: sess.ResidentID, ClientID: f.rp.ClientID, Plaintext: r.PostFormValue("plaintext") == "yes",
		Onward: r.PostFormValue("onward") == "yes", CreatedAt: now, UpdatedAt: now}
	for _, it := range consentItems(f.rp, f.pr.Claims) {
		c.Claims = append(c.Claims, ConsentClaim{Claim: it.Claim, Purpose: it.Purpose,
			Granted: slices.Contains(ticked, string(it.Claim))})
	}
	if r.PostFormValue("remember") == "yes" {
		if err := p.remember(r.Context(), c); err != nil {
			p.failInternal(w, r, "remember consent", err)
			return
		}
	}
	p.finish(w, r, f, sess, released(f.rp, c, f.pr.Claims))
}

// remember stores a consent decision, merged into the remembered one: the
// claims decided now replace their earlier decisions, the others stay.
func (p *Provider) remember(ctx context.Context, c Consent) error {
	old, err := p.d.Store.RememberedConsent(ctx, c.ResidentID, c.ClientID)
	if err != nil && !isNotFound(err) {
		return err
	}
	for _, oc := range old.Claims {
		if !slices.ContainsFunc(c.Claims, func(n ConsentClaim) bool { return n.Claim == oc.Claim }) {
			c.Claims = append(c.Claims, oc)
		}
	}
	return p.d.Store.PutRememberedConsent(ctx, c)
}

// finish issues the code of a flow and sends the browser back to the RP.
// It is the last gate of the level: whatever path led here, a session
// below the level the request needs never yields a code.
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, f *flow, sess LoginSession, claims []rp.Claim) {
	if sess.ACR.Rank() < f.pr.ACR.Rank() {
		p.finishWithError(w, r, f, errUnmetRequirements(fmt.Sprintf("level %s is required; the login reached %s", f.pr.ACR, sess.ACR)))
		return
	}
	to, err := p.issueCode(r.Context(), f.rp, f.pr, sess, claims, f.in.ID)
	switch {
	case errors.Is(err, errInteractionGone):
		p.fail(w, r, http.StatusBadRequest, "This sign-in request was finished already. Go back to the site you came from.")
		return
	case err != nil:
		p.log.ErrorContext(r.Context(), "oidc: issue code failed", "err", err)
		p.fail(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// finishWithError ends a flow with an error response to the RP: the
// redirect URI was validated when the flow started.
func (p *Provider) finishWithError(w http.ResponseWriter, r *http.Request, f *flow, e *oidc.Error) {
	if err := p.d.Store.DeleteInteraction(r.Context(), f.in.ID); err != nil && !isNotFound(err) {
		p.failInternal(w, r, "delete interaction", err)
		return
	}
	http.Redirect(w, r, p.errorURL(f.pr, e), http.StatusSeeOther)
}
