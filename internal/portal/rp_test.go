package portal_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"html"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/rp"
)

// platform is a real relying party: registered with the operator's
// registry, with its own web server, talking to netid through
// coreos/go-oidc and golang.org/x/oauth2 only. A browser logs in to it at
// /login; /cb finishes the login on the server side (code exchange,
// ID-token verification) and keeps the tokens, as a real platform would.
type platform struct {
	t        testing.TB
	reg      rp.RP
	server   *httptest.Server
	oauth    *oauth2.Config
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier

	mu      sync.Mutex
	pending map[string]pendingLogin // by state
	tokens  []*oauth2.Token
}

type pendingLogin struct{ nonce, verifier string }

// platformScopes are what the platform asks for: a refresh token (so
// that withdrawal has something to revoke) and the age check.
var platformScopes = []string{gooidc.ScopeOpenID, gooidc.ScopeOfflineAccess, string(rp.ClaimAgeOver18)}

// newPlatform registers a platform named name, approved for age_over_18.
func (e *env) newPlatform(name string) *platform {
	t := e.t
	t.Helper()
	p := &platform{t: t, pending: map[string]pendingLogin{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", p.login)
	mux.HandleFunc("GET /cb", p.callback)
	p.server = httptest.NewServer(mux)
	t.Cleanup(p.server.Close)
	reg, secret, err := e.rps.Create(context.Background(), rp.Registration{
		Name:         name,
		RedirectURIs: []string{p.server.URL + "/cb"},
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18,
			Purpose: "to sell age-restricted goods only to adults"}},
	})
	must(t, err)
	p.reg = reg
	p.provider, err = gooidc.NewProvider(context.Background(), e.issuer)
	must(t, err)
	p.verifier = p.provider.Verifier(&gooidc.Config{ClientID: reg.ClientID})
	p.oauth = &oauth2.Config{ClientID: reg.ClientID, ClientSecret: secret, Endpoint: p.provider.Endpoint(),
		RedirectURL: p.server.URL + "/cb", Scopes: platformScopes}
	return p
}

func random(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// login starts an authorization-code login with PKCE, state and nonce.
func (p *platform) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := random(p.t), random(p.t), oauth2.GenerateVerifier()
	p.mu.Lock()
	p.pending[state] = pendingLogin{nonce: nonce, verifier: verifier}
	p.mu.Unlock()
	http.Redirect(w, r, p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)), http.StatusFound)
}

// callback finishes the login: code exchange and ID-token check.
func (p *platform) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	pl, ok := p.pending[q.Get("state")]
	delete(p.pending, q.Get("state"))
	p.mu.Unlock()
	if !ok {
		http.Error(w, "unknown state", http.StatusBadRequest)
		return
	}
	if e := q.Get("error"); e != "" {
		http.Error(w, "login refused: "+e, http.StatusForbidden)
		return
	}
	tok, err := p.oauth.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(pl.verifier))
	if err != nil {
		http.Error(w, "code exchange: "+err.Error(), http.StatusBadGateway)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := p.verifier.Verify(r.Context(), raw)
	if err != nil || id.Nonce != pl.nonce {
		http.Error(w, "bad ID token", http.StatusBadGateway)
		return
	}
	var claims struct {
		AgeOver18 *bool `json:"age_over_18"`
	}
	_ = id.Claims(&claims)
	p.mu.Lock()
	p.tokens = append(p.tokens, tok)
	p.mu.Unlock()
	adult := "unknown"
	if claims.AgeOver18 != nil && *claims.AgeOver18 {
		adult = "yes"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>Signed in</title><h1 id="welcome">Welcome to ` +
		html.EscapeString(p.reg.Name) + `</h1><p id="adult">Adult: ` + adult + `</p></html>`))
}

// lastToken is the token of the last login.
func (p *platform) lastToken() *oauth2.Token {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tokens) == 0 {
		p.t.Fatal("the platform has no token: no login finished")
	}
	return p.tokens[len(p.tokens)-1]
}

// refresh asks for new tokens with the refresh token of tok, as the
// platform's back end does.
func (p *platform) refresh(tok *oauth2.Token) error {
	// A token without an access token is invalid, so the token source
	// refreshes at once.
	stale := &oauth2.Token{RefreshToken: tok.RefreshToken}
	_, err := p.oauth.TokenSource(context.Background(), stale).Token()
	return err
}
