package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
)

// Step-up: a login whose request needs substantial continues, after the
// password, at the second-factor page. The resident proves possession of
// the wallet in one of two ways, neither needing JavaScript:
//
//   - types the wallet's dynamic code (RFC 6238): amr pwd, otp, mfa;
//   - approves in the wallet: the page shows an approval code and its QR
//     code (<issuer>/approve/<code>); `netid wallet approve` answers with a
//     presentation signed by the device key (approvals_api.go), which must
//     be of the resident who entered the password; the page, refreshing
//     itself or at the "I have approved" button, then continues: amr pwd,
//     swk, mfa.
//
// The state between the password and the second factor is the login
// approval of the interaction (one per interaction, in the store), so any
// node continues it; the interaction is bound to the browser as before.
// The approval code is in the page's URL: it is no secret for a login,
// since only the same resident's device key can answer it.

// csrfStepUp is the CSRF purpose of the second-factor form.
const csrfStepUp = "second-factor"

// stepUpRefreshSeconds is how often the waiting page reloads itself.
const stepUpRefreshSeconds = 5

// stepUpRequest is the Request of a login approval: who entered the
// password.
type stepUpRequest struct {
	InternetNumber string `json:"internet_number"`
}

// beginStepUp stores the login approval of a flow whose resident has just
// entered the password, replacing an earlier one of the same interaction
// (the resident went back and logged in again), and sends the browser to
// the second-factor page.
func (p *Provider) beginStepUp(w http.ResponseWriter, r *http.Request, f *flow, acct enrol.Account) {
	ctx := r.Context()
	req, err := json.Marshal(stepUpRequest{InternetNumber: string(acct.InternetNumber)})
	if err != nil {
		p.failInternal(w, r, "step-up request", err)
		return
	}
	now := p.stamp()
	a := Approval{Kind: ApprovalLogin, ClientID: f.rp.ClientID, InteractionID: f.in.ID, ResidentID: acct.ID,
		Request: req, Status: ApprovalPending, CreatedAt: now,
		ExpiresAt: minTime(now.Add(p.cfg.ApprovalLifetime), f.in.ExpiresAt), Version: 1}
	code, err := p.createApproval(ctx, &a, func(ctx context.Context) error {
		old, err := p.d.Store.ApprovalOfInteraction(ctx, f.in.ID)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return p.d.Store.DeleteApproval(ctx, old.ID)
	})
	if err != nil {
		p.failInternal(w, r, "create approval", err)
		return
	}
	http.Redirect(w, r, p.stepUpURL(f.in.ID, code, ""), http.StatusSeeOther)
}

// stepUpURL is the second-factor page of an interaction; mode "wallet" is
// the page that waits for the wallet, refreshing itself.
func (p *Provider) stepUpURL(interactionID, code, mode string) string {
	q := url.Values{"id": {interactionID}, "code": {code}}
	if mode != "" {
		q.Set("mode", mode)
	}
	return pathStepUp + "?" + q.Encode()
}

// maxApprovalAttempts bounds the redraws of a colliding approval code.
const maxApprovalAttempts = 4

// createApproval draws a's id, approval code and challenge and stores it
// (with before, if not nil, in the same transaction), drawing a new code
// when one collides with a stored approval. It returns the code, normal
// form.
func (p *Provider) createApproval(ctx context.Context, a *Approval, before func(context.Context) error) (string, error) {
	var err error
	for range maxApprovalAttempts {
		var code string
		if code, err = newApprovalCode(p.rand); err != nil {
			return "", err
		}
		if a.ID, err = randomID(p.rand); err != nil {
			return "", err
		}
		a.Challenge = make([]byte, idBytes)
		if _, err = p.rand.Read(a.Challenge); err != nil {
			return "", fmt.Errorf("oidc: random: %w", err)
		}
		a.CodeHash = codeHash(code)
		if before == nil {
			// One insert is atomic alone; a transaction around it would
			// only add BEGIN and COMMIT round trips on PostgreSQL.
			err = p.d.Store.CreateApproval(ctx, *a)
		} else {
			err = p.d.Store.InTx(ctx, func(ctx context.Context) error {
				if err := before(ctx); err != nil {
					return err
				}
				return p.d.Store.CreateApproval(ctx, *a)
			})
		}
		if !errors.Is(err, store.ErrConflict) {
			return code, err
		}
	}
	return "", err
}

// stepUpFlow loads the flow and the login approval a second-factor page
// or form names, checking that the approval code is the approval's. On
// failure it renders the error page and returns false.
func (p *Provider) stepUpFlow(w http.ResponseWriter, r *http.Request, f *flow, rawCode string) (Approval, string, bool) {
	a, err := p.d.Store.ApprovalOfInteraction(r.Context(), f.in.ID)
	if isNotFound(err) {
		p.fail(w, r, http.StatusBadRequest, "This sign-in request has expired or was finished already. Go back to the site you came from and start again.")
		return Approval{}, "", false
	}
	if err != nil {
		p.failInternal(w, r, "load approval", err)
		return Approval{}, "", false
	}
	code, ok := normalCode(rawCode)
	if !ok || !sameHash(codeHash(code), a.CodeHash) {
		p.fail(w, r, http.StatusBadRequest, "This sign-in link is not valid. Go back to the site you came from and start again.")
		return Approval{}, "", false
	}
	return a, code, true
}

// stepUpPage serves GET /login/second-factor?id=...&code=...[&mode=wallet].
func (p *Provider) stepUpPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, ok := p.loadFlow(w, r, q.Get("id"))
	if !ok {
		return
	}
	a, code, ok := p.stepUpFlow(w, r, f, q.Get("code"))
	if !ok {
		return
	}
	p.continueStepUp(w, r, f, a, code, q.Get("mode") == "wallet", http.StatusOK, "")
}

// stepUp serves POST /login/second-factor: the dynamic code (action otp),
// or "I have approved" (action check).
func (p *Provider) stepUp(w http.ResponseWriter, r *http.Request) {
	f, ok := p.checkPost(w, r, csrfStepUp)
	if !ok {
		return
	}
	a, code, ok := p.stepUpFlow(w, r, f, r.PostFormValue("code"))
	if !ok {
		return
	}
	wallet := r.PostFormValue("mode") == "wallet"
	if r.PostFormValue("action") != "otp" || a.Status != ApprovalPending || !p.now().Before(a.ExpiresAt) {
		msg := ""
		if a.Status == ApprovalPending {
			msg = "Your wallet has not approved this sign-in yet. Approve it in the wallet, then continue."
		}
		p.continueStepUp(w, r, f, a, code, wallet, http.StatusOK, msg)
		return
	}
	err := p.d.Residents.VerifyDynamicCode(r.Context(), a.ResidentID, r.PostFormValue("otp"), p.clientAddr(r))
	var throttled *enrol.ThrottledError
	switch {
	case err == nil:
		p.finishStepUp(w, r, f, a, []string{amrPassword, amrOTP, amrMFA})
	case errors.Is(err, enrol.ErrBadDynamicCode):
		p.renderStepUp(w, r, f, a, code, false, http.StatusBadRequest, "The dynamic code is not right or has expired. Enter the code your wallet shows now.")
	case errors.Is(err, enrol.ErrDynamicCodeReused):
		p.renderStepUp(w, r, f, a, code, false, http.StatusBadRequest, "This dynamic code was used already. Wait for your wallet to show the next code.")
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.FormatInt(throttled.RetryAfterSeconds(), 10))
		p.renderStepUp(w, r, f, a, code, false, http.StatusTooManyRequests,
			fmt.Sprintf("Too many attempts. Try again in %d seconds.", throttled.RetryAfterSeconds()))
	case errors.Is(err, enrol.ErrAccountLocked):
		p.renderStepUp(w, r, f, a, code, false, http.StatusForbidden, "You have locked your netid account, so every way of signing in is refused. Unlock it in your netid wallet.")
	case errors.Is(err, enrol.ErrMethodLocked):
		p.renderStepUp(w, r, f, a, code, false, http.StatusForbidden, "You have locked sign-in with your dynamic code. Unlock it in your netid account or wallet, or approve in the wallet instead.")
	case errors.Is(err, enrol.ErrAccountPending):
		p.renderStepUp(w, r, f, a, code, false, http.StatusForbidden, "Your account is waiting for your guardian's approval.")
	default:
		p.failInternal(w, r, "verify dynamic code", err)
	}
}

// continueStepUp answers a second-factor page or "I have approved" by the
// approval's state: the wallet approved (log in), denied (access_denied to
// the RP), the approval expired or was used, or it still waits.
func (p *Provider) continueStepUp(w http.ResponseWriter, r *http.Request, f *flow, a Approval, code string, wallet bool, status int, msg string) {
	switch {
	case a.Status == ApprovalApproved:
		p.finishStepUp(w, r, f, a, []string{amrPassword, amrSoftwareKey, amrMFA})
	case a.Status == ApprovalDenied:
		p.finishWithError(w, r, f, oidc.ErrAccessDenied().WithDescription("%s", denialDescription(a)))
	case a.Status != ApprovalPending:
		p.fail(w, r, http.StatusBadRequest, "This sign-in request was finished already. Go back to the site you came from.")
	case !p.now().Before(a.ExpiresAt):
		p.fail(w, r, http.StatusBadRequest, "The time to confirm this sign-in with your wallet has run out. Go back to the site you came from and start again.")
	default:
		p.renderStepUp(w, r, f, a, code, wallet, status, msg)
	}
}

// finishStepUp marks the approval used and logs the resident in at
// substantial, in one transaction: the approval yields one session.
func (p *Provider) finishStepUp(w http.ResponseWriter, r *http.Request, f *flow, a Approval, amr []string) {
	var req stepUpRequest
	if err := json.Unmarshal(a.Request, &req); err != nil {
		p.failInternal(w, r, "decode approval", err)
		return
	}
	done := a
	done.Status, done.Version = ApprovalDone, a.Version+1
	if done.DecidedAt.IsZero() {
		done.DecidedAt = p.stamp()
	}
	acct := enrol.Account{ID: a.ResidentID, InternetNumber: credential.InternetNumber(req.InternetNumber)}
	p.completeLogin(w, r, f, acct, enrol.AssuranceSubstantial, amr, func(ctx context.Context) error {
		return p.d.Store.UpdateApproval(ctx, a.Version, done)
	})
}

// stepUpView is the second-factor page.
type stepUpView struct {
	Title, RPName, Action, ID, CSRF, Code, Error string
	// Wallet is the page that waits for the wallet (it refreshes);
	// otherwise the page offers both ways.
	Wallet bool
	// ApproveURL is what the QR code holds; WalletHref and OTPHref switch
	// between the two pages.
	ApproveURL, WalletHref, OTPHref string
	QR                              template.HTML
}

// renderStepUp renders the second-factor page with msg (English, in the
// catalogue) and status.
func (p *Provider) renderStepUp(w http.ResponseWriter, r *http.Request, f *flow, a Approval, code string, wallet bool, status int, msg string) {
	token, err := csrfToken(r.Context(), p.d.Keys, csrfStepUp, f.in.ID, f.browser)
	if err != nil {
		p.failInternal(w, r, "csrf", err)
		return
	}
	approveURL := p.cfg.Issuer + pathApprovePage + code
	qr, err := qrSVG(approveURL)
	if err != nil {
		p.failInternal(w, r, "qr code", err)
		return
	}
	view := stepUpView{Title: "Confirm with your netid wallet", RPName: f.rp.Name, Action: pathStepUp, ID: f.in.ID,
		CSRF: token, Code: displayCode(code), Error: msg, Wallet: wallet, ApproveURL: approveURL, QR: qr,
		WalletHref: p.stepUpURL(f.in.ID, code, "wallet"), OTPHref: p.stepUpURL(f.in.ID, code, "")}
	data := any(view)
	if wallet {
		data = refreshing{view: view, seconds: stepUpRefreshSeconds}
	}
	p.render(w, r, status, p.pages.stepUp, data)
}

// refreshing asks render for a page that reloads itself every seconds.
type refreshing struct {
	view    any
	seconds int
}
