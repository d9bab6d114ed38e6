package residenttest

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/rp"
)

// RP is a real relying party: registered with the operator's registry,
// with its own redirect server, talking to the provider through go-oidc
// and x/oauth2 only.
type RP struct {
	t        testing.TB
	e        *Env
	Reg      rp.RP
	secret   string
	server   *httptest.Server
	redirect string
	verifier *gooidc.IDTokenVerifier
	oauth    *oauth2.Config
}

// NewRP registers a platform named name approved for age_over_18.
func (e *Env) NewRP(t testing.TB, name string) *RP {
	t.Helper()
	r := &RP{t: t, e: e}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "relying party: got it")
	}))
	t.Cleanup(r.server.Close)
	r.redirect = r.server.URL + "/cb"
	var err error
	r.Reg, r.secret, err = e.RPs.Create(context.Background(), rp.Registration{
		Name: name, RedirectURIs: []string{r.redirect},
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "to check that members are adults"}},
	})
	must(t, err)
	provider, err := gooidc.NewProvider(context.Background(), e.URL)
	must(t, err)
	r.verifier = provider.Verifier(&gooidc.Config{ClientID: r.Reg.ClientID})
	r.oauth = &oauth2.Config{ClientID: r.Reg.ClientID, ClientSecret: r.secret, Endpoint: provider.Endpoint(),
		RedirectURL: r.redirect, Scopes: []string{gooidc.ScopeOpenID, string(rp.ClaimAgeOver18), "offline_access"}}
	return r
}

// ClientID is the platform's client id.
func (r *RP) ClientID() string { return r.Reg.ClientID }

var (
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	claimBox    = regexp.MustCompile(`name="claim" value="([a-z0-9_]+)"`)
)

// Login runs a whole authorization code flow with PKCE for p in a fresh
// browser: the login page with p's number and password, the consent page
// allowing every claim and remembering the decision, the code exchange.
// It returns the tokens (with a refresh token: offline_access) after
// verifying the ID token.
func (r *RP) Login(p Person) *oauth2.Token {
	r.t.Helper()
	return r.login(p, true)
}

// LoginOnce is Login with a consent given for this login only: the
// consent page's remember box is left unticked, so netid keeps no
// consent, but the platform still gets its refresh token.
func (r *RP) LoginOnce(p Person) *oauth2.Token {
	r.t.Helper()
	return r.login(p, false)
}

func (r *RP) login(p Person, remember bool) *oauth2.Token {
	r.t.Helper()
	jar, err := cookiejar.New(nil)
	must(r.t, err)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	state, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	next := r.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	var form url.Values
	for range 12 {
		var resp *http.Response
		if form == nil {
			resp, err = hc.Get(next)
		} else {
			resp, err = hc.PostForm(next, form)
		}
		must(r.t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		must(r.t, err)
		form = nil
		loc, locErr := resp.Location()
		switch {
		case locErr == nil && strings.HasPrefix(loc.String(), r.redirect):
			q := loc.Query()
			if q.Get("error") != "" || q.Get("state") != state {
				r.t.Fatalf("login ended with %v", q)
			}
			tok, err := r.oauth.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
			must(r.t, err)
			raw, _ := tok.Extra("id_token").(string)
			if _, err := r.verifier.Verify(context.Background(), raw); err != nil {
				r.t.Fatalf("go-oidc Verify(id_token) = %v", err)
			}
			return tok
		case locErr == nil:
			next = resp.Request.URL.ResolveReference(loc).String()
		case resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/login":
			form = hidden(string(body))
			form.Set("username", string(p.InternetNumber))
			form.Set("password", p.Password)
			next = resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String()
		case resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/consent":
			h := hidden(string(body))
			form = url.Values{"id": {h.Get("id")}, "csrf": {h.Get("csrf")}, "action": {"allow"}}
			if remember {
				form.Set("remember", "yes")
			}
			for _, m := range claimBox.FindAllStringSubmatch(string(body), -1) {
				form.Add("claim", m[1])
			}
			next = resp.Request.URL.ResolveReference(&url.URL{Path: "/consent"}).String()
		default:
			r.t.Fatalf("login stopped at %d %s:\n%s", resp.StatusCode, resp.Request.URL, body)
		}
	}
	r.t.Fatal("login: too many steps")
	return nil
}

// hidden returns a page's hidden form fields.
func hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// Refresh exchanges tok's refresh token, as the platform's back end does.
func (r *RP) Refresh(tok *oauth2.Token) (*oauth2.Token, error) {
	stale := *tok
	stale.AccessToken = ""
	stale.Expiry = stale.Expiry.AddDate(-1, 0, 0)
	return r.oauth.TokenSource(context.Background(), &stale).Token()
}
