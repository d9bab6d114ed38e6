package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// rpFile keeps the demo relying party's client id and secret across
// restarts (0600: the secret is a credential).
const rpFile = "relying-party.json"

// Credentials are a relying party's OAuth client credentials.
type Credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// Registrar registers the demo relying party with the operator's registry
// (rp.Service.Create) and says whether a client id is still registered.
type Registrar interface {
	RegisterDemoRP(ctx context.Context, name, redirectURI string) (Credentials, error)
	Registered(ctx context.Context, clientID string) (bool, error)
}

// RelyingParty is the demo platform: registered at the first --demo start,
// it logs residents in with the OpenID Connect code flow (PKCE) against
// this same server, through coreos/go-oidc and golang.org/x/oauth2 like any
// platform would, and shows what it received.
type RelyingParty struct {
	creds    Credentials
	issuer   string
	redirect string

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *gooidc.IDTokenVerifier
	pending  map[string]pendingLogin // by state
}

type pendingLogin struct {
	nonce, verifier string
	at              time.Time
}

// RelyingParty loads or registers the demo relying party, whose redirect
// URI is issuer + "/demo/rp/callback".
func (d *Demo) RelyingParty(ctx context.Context, reg Registrar, issuer string) (*RelyingParty, error) {
	r := &RelyingParty{issuer: issuer, redirect: issuer + "/demo/rp/callback", pending: map[string]pendingLogin{}}
	path := filepath.Join(d.dir, rpFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &r.creds); err != nil {
			return nil, fmt.Errorf("demo: %s: %w", path, err)
		}
		ok, err := reg.Registered(ctx, r.creds.ClientID)
		if err != nil {
			return nil, fmt.Errorf("demo: relying party: %w", err)
		}
		if ok {
			return r, nil
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("demo: %w", err)
	}
	if r.creds, err = reg.RegisterDemoRP(ctx, "netid demo platform", r.redirect); err != nil {
		return nil, fmt.Errorf("demo: registering the relying party: %w", err)
	}
	b, err = json.Marshal(r.creds)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return r, nil
}

// ClientID is the demo relying party's client id.
func (r *RelyingParty) ClientID() string { return r.creds.ClientID }

// client discovers the provider on first use: the server must be listening
// before discovery can work.
func (r *RelyingParty) client(ctx context.Context) (*oauth2.Config, *gooidc.IDTokenVerifier, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.oauth != nil {
		return r.oauth, r.verifier, nil
	}
	p, err := gooidc.NewProvider(ctx, r.issuer)
	if err != nil {
		return nil, nil, err
	}
	r.oauth = &oauth2.Config{ClientID: r.creds.ClientID, ClientSecret: r.creds.ClientSecret,
		Endpoint: p.Endpoint(), RedirectURL: r.redirect, Scopes: []string{gooidc.ScopeOpenID, "age_over_18"}}
	r.verifier = p.Verifier(&gooidc.Config{ClientID: r.creds.ClientID})
	return r.oauth, r.verifier, nil
}

// Routes are the demo platform's pages.
func (r *RelyingParty) Routes(problem Problem) map[string]http.Handler {
	return map[string]http.Handler{
		"GET /demo/rp":          http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.start(w, req, problem) }),
		"GET /demo/rp/callback": http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.callback(w, req, problem) }),
	}
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (r *RelyingParty) start(w http.ResponseWriter, req *http.Request, problem Problem) {
	oauth, _, err := r.client(req.Context())
	if err != nil {
		problem(w, req, http.StatusServiceUnavailable, "unavailable", "the demo platform cannot reach the provider's discovery document: "+err.Error())
		return
	}
	state, nonce, verifier := random(16), random(16), oauth2.GenerateVerifier()
	r.mu.Lock()
	for s, p := range r.pending { // a demo: forget logins never finished
		if time.Since(p.at) > 15*time.Minute {
			delete(r.pending, s)
		}
	}
	r.pending[state] = pendingLogin{nonce: nonce, verifier: verifier, at: time.Now()}
	r.mu.Unlock()
	http.Redirect(w, req, oauth.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

var resultPage = template.Must(template.New("result").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>netid demo platform</title>
<h1>netid demo platform</h1>
<p>You were verified by netid. This is all the platform learned:</p>
<table>
<tr><th scope="row">pairwise subject (sub)</th><td><code>{{.Subject}}</code></td></tr>
<tr><th scope="row">assurance level (acr)</th><td>{{.ACR}}</td></tr>
<tr><th scope="row">methods (amr)</th><td>{{.AMR}}</td></tr>
{{range $k, $v := .Claims}}<tr><th scope="row">{{$k}}</th><td>{{$v}}</td></tr>
{{end}}</table>
<p><a href="/demo/rp">Log in again</a></p>
</html>
`))

func (r *RelyingParty) callback(w http.ResponseWriter, req *http.Request, problem Problem) {
	q := req.URL.Query()
	if e := q.Get("error"); e != "" {
		problem(w, req, http.StatusForbidden, "login-refused", "the provider answered "+e+": "+q.Get("error_description"))
		return
	}
	oauth, verifier, err := r.client(req.Context())
	if err != nil {
		problem(w, req, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	r.mu.Lock()
	p, ok := r.pending[q.Get("state")]
	delete(r.pending, q.Get("state"))
	r.mu.Unlock()
	if !ok {
		problem(w, req, http.StatusBadRequest, "bad-request", "unknown or used state: start again at /demo/rp")
		return
	}
	if iss := q.Get("iss"); iss != r.issuer {
		problem(w, req, http.StatusBadRequest, "bad-request", "the authorization response's iss is not this provider (RFC 9207)")
		return
	}
	tok, err := oauth.Exchange(req.Context(), q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		problem(w, req, http.StatusBadGateway, "token-refused", "exchanging the code failed: "+err.Error())
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(req.Context(), raw)
	if err != nil || idt.Nonce != p.nonce {
		problem(w, req, http.StatusBadGateway, "token-refused", "the ID token did not verify")
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		problem(w, req, http.StatusBadGateway, "token-refused", err.Error())
		return
	}
	shown := map[string]any{}
	for k, v := range claims {
		switch k {
		case "sub", "acr", "amr", "iss", "aud", "exp", "iat", "nonce", "auth_time", "azp", "at_hash", "sid", "c_hash":
		default:
			shown[k] = v
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = resultPage.Execute(w, map[string]any{"Subject": idt.Subject, "ACR": claims["acr"], "AMR": claims["amr"], "Claims": shown})
}
