package oidc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// hintClaims are the claims of an id_token_hint the provider reads.
type hintClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience any    `json:"aud"`
}

// verifyIDTokenHint checks that hint is an ID token this provider signed
// (with a key still in JWKS; expiry does not matter, as OpenID Connect
// RP-Initiated Logout section 2 allows) and returns its client and subject.
func (p *Provider) verifyIDTokenHint(hint string) (clientID, subject string, err error) {
	payload, err := verifyJWT(p.d.Keys, hint)
	if err != nil {
		return "", "", err
	}
	var c hintClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", "", err
	}
	if c.Issuer != p.cfg.Issuer {
		return "", "", errors.New("oidc: id_token_hint of another issuer")
	}
	switch aud := c.Audience.(type) {
	case string:
		clientID = aud
	case []any:
		if len(aud) == 1 {
			clientID, _ = aud[0].(string)
		}
	}
	if clientID == "" || c.Subject == "" {
		return "", "", errors.New("oidc: id_token_hint without one audience and a subject")
	}
	return clientID, c.Subject, nil
}

// logoutTarget validates where a logout may return: a post-logout
// redirect URI registered, exactly, for the client. It returns the URL to
// send the browser to ("" when the request names none) and the RP's name.
func (p *Provider) logoutTarget(ctx context.Context, clientID, uri, state string) (string, string, error) {
	if clientID == "" {
		if uri != "" {
			return "", "", oidc.ErrInvalidRequest().WithDescription("post_logout_redirect_uri needs client_id or id_token_hint")
		}
		return "", "", nil
	}
	r, err := p.clients.get(ctx, clientID)
	if errors.Is(err, errUnknownClient) {
		return "", "", oidc.ErrInvalidRequest().WithDescription("unknown client_id")
	}
	if err != nil {
		return "", "", p.internalError(ctx, "client lookup", err)
	}
	if uri == "" {
		return "", r.Name, nil
	}
	if !slices.Contains(r.PostLogoutRedirectURIs, uri) {
		return "", "", oidc.ErrInvalidRequest().WithDescription("post_logout_redirect_uri is not registered for this client")
	}
	return responseURL(uri, url.Values{"state": optional(state)}), r.Name, nil
}

// endSession is RP-initiated logout (OpenID Connect RP-Initiated Logout
// 1.0). With a valid id_token_hint for the browser's own session, the
// session ends at once and the browser returns to the RP's registered
// post-logout URI. Without one the resident confirms on /logout first, so
// that a third-party page cannot log residents out at will.
func (p *Provider) endSession(ctx context.Context, r *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	d := r.Data
	clientID, subject := "", ""
	if d.IdTokenHint != "" {
		var err error
		if clientID, subject, err = p.verifyIDTokenHint(d.IdTokenHint); err != nil {
			return nil, oidc.ErrInvalidRequest().WithDescription("id_token_hint is not valid")
		}
	}
	if d.ClientID != "" {
		if clientID != "" && d.ClientID != clientID {
			return nil, oidc.ErrInvalidRequest().WithDescription("client_id does not match the id_token_hint")
		}
		clientID = d.ClientID
	}
	target, _, err := p.logoutTarget(ctx, clientID, d.PostLogoutRedirectURI, d.State)
	if err != nil {
		return nil, err
	}
	sess, err := p.sessionFrom(ctx, r.Header)
	if err != nil {
		return nil, p.internalError(ctx, "session lookup", err)
	}
	if sess != nil && subject != "" && p.hintMatches(ctx, clientID, subject, sess) {
		if err := p.d.Store.DeleteLoginSession(ctx, sess.IDHash); err != nil && !isNotFound(err) {
			return nil, p.internalError(ctx, "end session", err)
		}
		if target == "" {
			target = p.cfg.Issuer + pathLogout + "?done=1"
		}
		red := op.NewRedirect(target)
		red.Header.Add("Set-Cookie", p.cookies.cookie(p.cookies.session, "", time.Time{}, -1).String())
		return red, nil
	}
	if sess == nil {
		// Nothing to end: go straight back.
		if target == "" {
			target = p.cfg.Issuer + pathLogout + "?done=1"
		}
		return op.NewRedirect(target), nil
	}
	q := url.Values{"client_id": optional(clientID), "post_logout_redirect_uri": optional(d.PostLogoutRedirectURI),
		"state": optional(d.State)}
	return op.NewRedirect(p.cfg.Issuer + pathLogout + "?" + q.Encode()), nil
}

// hintMatches reports whether an id_token_hint's subject is the subject of
// the session's resident at the hint's RP.
func (p *Provider) hintMatches(ctx context.Context, clientID, subject string, sess *LoginSession) bool {
	r, err := p.clients.get(ctx, clientID)
	if err != nil {
		return false
	}
	want, err := p.pairwise.subject(ctx, r.Sector, sess.InternetNumber)
	return err == nil && want == subject
}

// logoutPage serves GET /logout: the confirmation form, or the logged-out
// page.
func (p *Provider) logoutPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	if q.Get("done") != "" {
		p.render(w, r, http.StatusOK, p.pages.logout, logoutView{Title: "Logged out", Done: true})
		return
	}
	target, name, err := p.logoutTarget(ctx, q.Get("client_id"), q.Get("post_logout_redirect_uri"), q.Get("state"))
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, "This logout link is not valid.")
		return
	}
	sess, err := p.sessionFrom(ctx, r.Header)
	if err != nil {
		p.failInternal(w, r, "session lookup", err)
		return
	}
	if sess == nil {
		p.redirectAfterLogout(w, r, target)
		return
	}
	token, err := csrfToken(ctx, p.d.Keys, csrfLogout, q.Get("client_id"), hex.EncodeToString(sess.IDHash))
	if err != nil {
		p.failInternal(w, r, "csrf", err)
		return
	}
	p.render(w, r, http.StatusOK, p.pages.logout, logoutView{Title: "Log out", RPName: name, Action: pathLogout,
		CSRF: token, ClientID: q.Get("client_id"), RedirectURI: q.Get("post_logout_redirect_uri"), State: q.Get("state")})
}

// logout serves POST /logout: the confirmed logout.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	clientID := r.PostFormValue("client_id")
	target, _, err := p.logoutTarget(ctx, clientID, r.PostFormValue("post_logout_redirect_uri"), r.PostFormValue("state"))
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, "This logout link is not valid.")
		return
	}
	sess, err := p.sessionFrom(ctx, r.Header)
	if err != nil {
		p.failInternal(w, r, "session lookup", err)
		return
	}
	if sess != nil {
		good, err := checkCSRF(ctx, p.d.Keys, r.PostFormValue("csrf"), csrfLogout, clientID, hex.EncodeToString(sess.IDHash))
		if err != nil {
			p.failInternal(w, r, "csrf", err)
			return
		}
		if !good {
			p.fail(w, r, http.StatusForbidden, "This form has expired. Log out again from the site you came from.")
			return
		}
		if err := p.d.Store.DeleteLoginSession(ctx, sess.IDHash); err != nil && !isNotFound(err) {
			p.failInternal(w, r, "end session", err)
			return
		}
	}
	http.SetCookie(w, p.cookies.cookie(p.cookies.session, "", time.Time{}, -1))
	p.redirectAfterLogout(w, r, target)
}

// redirectAfterLogout sends the browser to the validated post-logout URI,
// or to the logged-out page.
func (p *Provider) redirectAfterLogout(w http.ResponseWriter, r *http.Request, target string) {
	if target == "" {
		target = pathLogout + "?done=1"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
