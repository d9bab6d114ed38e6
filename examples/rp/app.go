package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Cookie names. Each holds only a random key into a server-side map, so
// the verifier, the nonce and the tokens never leave the server.
const (
	loginCookie   = "rp_login"
	sessionCookie = "rp_session"
)

// loginLifetime bounds how long a resident has to finish logging in.
const loginLifetime = 10 * time.Minute

// pendingLogin is what /login remembers for /callback.
type pendingLogin struct {
	state, nonce, verifier string
	expires                time.Time
}

// session is a logged-in resident, as the platform knows them.
type session struct {
	idToken string // kept for the logout's id_token_hint
	result  result
}

// app is the platform.
type app struct {
	cfg        config
	log        *slog.Logger
	oauth      *oauth2.Config
	provider   *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	endSession string
	issParam   bool // the provider sends iss in authorization responses (RFC 9207)

	mu       sync.Mutex
	pending  map[string]pendingLogin // by login cookie
	sessions map[string]session      // by session cookie
}

// newApp discovers the provider at cfg.issuer; go-oidc checks that the
// discovery document names that same issuer.
func newApp(ctx context.Context, cfg config, log *slog.Logger) (*app, error) {
	p, err := oidc.NewProvider(ctx, cfg.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", cfg.issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
		ISSParam   bool   `json:"authorization_response_iss_parameter_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", cfg.issuer, err)
	}
	return &app{
		cfg: cfg, log: log, provider: p, endSession: meta.EndSession, issParam: meta.ISSParam,
		oauth: &oauth2.Config{
			ClientID: cfg.clientID, ClientSecret: cfg.clientSecret, Endpoint: p.Endpoint(),
			RedirectURL: cfg.redirectURL, Scopes: strings.Fields(cfg.scopes),
		},
		// Checks the signature against the provider's JWKS, iss, aud
		// (this client id) and exp; the nonce is checked in callback.
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.clientID}),
		pending:  map[string]pendingLogin{},
		sessions: map[string]session{},
	}, nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("GET /logout", a.logout)
	return mux
}

// random returns n random bytes, base64url.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secure reports whether the platform is served over https, so that its
// cookies are marked Secure.
func (a *app) secure() bool { return strings.HasPrefix(a.cfg.redirectURL, "https:") }

func (a *app) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure(), SameSite: http.SameSiteLaxMode})
}

func (a *app) currentSession(r *http.Request) (string, session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", session{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[c.Value]
	return c.Value, s, ok
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	_, s, ok := a.currentSession(r)
	if !ok {
		render(w, http.StatusOK, homePage, nil)
		return
	}
	render(w, http.StatusOK, resultPage, s.result)
}

// login starts the authorization code flow. SameSite=Lax lets the login
// cookie come back on the provider's top-level redirect to /callback.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	key := random(32)
	p := pendingLogin{state: random(32), nonce: random(32), verifier: oauth2.GenerateVerifier(),
		expires: time.Now().Add(loginLifetime)}
	a.mu.Lock()
	for k, old := range a.pending { // forget logins never finished
		if time.Now().After(old.expires) {
			delete(a.pending, k)
		}
	}
	a.pending[key] = p
	a.mu.Unlock()
	a.setCookie(w, loginCookie, key, int(loginLifetime/time.Second))
	opts := []oauth2.AuthCodeOption{oidc.Nonce(p.nonce), oauth2.S256ChallengeOption(p.verifier)}
	if a.cfg.acr != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", a.cfg.acr))
	}
	a.log.Info("rp: login started, redirecting to the provider", "acr_values", a.cfg.acr)
	http.Redirect(w, r, a.oauth.AuthCodeURL(p.state, opts...), http.StatusFound)
}

// takePending returns and forgets the browser's pending login.
func (a *app) takePending(r *http.Request) (pendingLogin, bool) {
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return pendingLogin{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.pending[c.Value]
	delete(a.pending, c.Value)
	return p, ok && time.Now().Before(p.expires)
}

func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	a.setCookie(w, loginCookie, "", -1)
	p, ok := a.takePending(r)
	// state binds the response to this browser's login: anything else is a
	// forged or replayed response (CSRF).
	if !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(p.state)) != 1 {
		a.fail(w, http.StatusBadRequest, "invalid_state", "unknown, expired or mismatched state: start again")
		return
	}
	// RFC 9207: a response for this login must come from this issuer, on
	// success and on error alike (mix-up attacks).
	if iss := q.Get("iss"); iss != a.cfg.issuer && (iss != "" || a.issParam) {
		a.fail(w, http.StatusBadRequest, "invalid_issuer", "the authorization response's iss is not the configured issuer")
		return
	}
	if e := q.Get("error"); e != "" {
		a.fail(w, http.StatusForbidden, e, q.Get("error_description"))
		return
	}
	tok, err := a.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			a.fail(w, http.StatusBadGateway, re.ErrorCode, re.ErrorDescription)
			return
		}
		a.fail(w, http.StatusBadGateway, "token_request_failed", err.Error())
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		a.fail(w, http.StatusBadGateway, "invalid_token_response", "the token response has no id_token")
		return
	}
	idt, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		a.fail(w, http.StatusBadGateway, "invalid_id_token", err.Error())
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.nonce)) != 1 {
		a.fail(w, http.StatusBadGateway, "invalid_id_token", "the ID token's nonce is not this login's")
		return
	}
	// at_hash is optional in the code flow; netid sends it.
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			a.fail(w, http.StatusBadGateway, "invalid_id_token", err.Error())
			return
		}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		a.fail(w, http.StatusBadGateway, "invalid_id_token", err.Error())
		return
	}
	acr, _ := claims["acr"].(string)
	if want := lowestLevel(a.cfg.acr); rank(acr) < rank(want) {
		a.fail(w, http.StatusForbidden, "insufficient_level", fmt.Sprintf("the login reached level %q; this platform asked for %q", acr, want))
		return
	}
	ui, err := a.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		a.fail(w, http.StatusBadGateway, "userinfo_failed", err.Error())
		return
	}
	// OpenID Connect Core section 5.3.2: userinfo must be about the same
	// subject as the ID token.
	if ui.Subject != idt.Subject {
		a.fail(w, http.StatusBadGateway, "userinfo_failed", "userinfo names another subject than the ID token")
		return
	}
	var uiClaims map[string]any
	if err := ui.Claims(&uiClaims); err != nil {
		a.fail(w, http.StatusBadGateway, "userinfo_failed", err.Error())
		return
	}
	res := newResult(idt, claims, uiClaims, tok.RefreshToken != "")
	key := random(32)
	a.mu.Lock()
	a.sessions[key] = session{idToken: raw, result: res}
	a.mu.Unlock()
	a.setCookie(w, sessionCookie, key, 0)
	// The subject is the platform's own pairwise identifier, not a secret;
	// tokens and codes are never logged.
	a.log.Info("rp: resident logged in", "sub", idt.Subject, "acr", acr, "amr", claims["amr"], "claims", res.claimNames())
	render(w, http.StatusOK, resultPage, res)
}

// logout ends the platform's session and sends the browser to the
// provider's end_session endpoint, which ends the provider's session at
// once for a valid id_token_hint and returns to the registered
// post-logout redirect URI.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	key, s, ok := a.currentSession(r)
	a.setCookie(w, sessionCookie, "", -1)
	if !ok {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	a.mu.Lock()
	delete(a.sessions, key)
	a.mu.Unlock()
	if a.endSession == "" {
		a.log.Info("rp: logged out locally; the provider has no end_session endpoint")
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	q := url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {a.cfg.logoutURL},
		"client_id": {a.cfg.clientID}}
	a.log.Info("rp: logging out at the provider", "sub", s.result.Subject)
	http.Redirect(w, r, a.endSession+"?"+q.Encode(), http.StatusFound)
}

// fail logs a refused login and shows the reason.
func (a *app) fail(w http.ResponseWriter, status int, code, description string) {
	a.log.Warn("rp: login refused", "error", code, "description", description)
	render(w, status, errorPage, struct{ Code, Description string }{code, description})
}

// rank orders netid's assurance levels; anything else ranks 0.
func rank(level string) int {
	switch level {
	case "low":
		return 1
	case "substantial":
		return 2
	case "high":
		return 3
	}
	return 0
}

// lowestLevel is the level acr_values asks for: the lowest listed, since
// any of them is acceptable; "low" when none is.
func lowestLevel(acrValues string) string {
	lowest := "low"
	for i, v := range strings.Fields(acrValues) {
		if i == 0 || rank(v) < rank(lowest) {
			lowest = v
		}
	}
	return lowest
}
