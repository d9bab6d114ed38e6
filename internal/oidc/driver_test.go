package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/rp"
)

// relyingParty is a real relying party: registered with the operator's
// registry, with its own HTTP server for the redirect URI, talking to the
// provider through coreos/go-oidc and golang.org/x/oauth2 only.
type relyingParty struct {
	t        testing.TB
	reg      rp.RP
	secret   string
	server   *httptest.Server
	redirect string
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	oauth    *oauth2.Config

	mu        sync.Mutex
	callbacks []url.Values
}

// newRP registers an RP. Its redirect URI is <its server>/cb and its
// post-logout URI <its server>/bye unless reg names others.
func (e *env) newRP(reg rp.Registration) *relyingParty {
	t := e.t
	t.Helper()
	r := &relyingParty{t: t}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.callbacks = append(r.callbacks, req.URL.Query())
		r.mu.Unlock()
		_, _ = io.WriteString(w, "relying party: got it")
	}))
	t.Cleanup(r.server.Close)
	r.redirect = r.server.URL + "/cb"
	if len(reg.RedirectURIs) == 0 {
		reg.RedirectURIs = []string{r.redirect}
	}
	if len(reg.PostLogoutRedirectURIs) == 0 {
		reg.PostLogoutRedirectURIs = []string{r.server.URL + "/bye"}
	}
	if reg.Name == "" {
		reg.Name = "Test Platform"
	}
	var err error
	r.reg, r.secret, err = e.rps.Create(context.Background(), reg)
	if err != nil {
		t.Fatalf("register RP: %v", err)
	}
	r.provider, err = gooidc.NewProvider(context.Background(), e.issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	r.verifier = r.provider.Verifier(&gooidc.Config{ClientID: r.reg.ClientID})
	r.oauth = &oauth2.Config{ClientID: r.reg.ClientID, ClientSecret: r.secret, Endpoint: r.provider.Endpoint(),
		RedirectURL: r.redirect, Scopes: []string{gooidc.ScopeOpenID}}
	return r
}

// request is one authorization request an RP makes.
type request struct {
	url, state, nonce, verifier string
}

// randomString is 32 random bytes, base64url.
func randomString(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// authorize returns an authorization request for scopes (openid is
// added), with PKCE S256, state and nonce, plus any extra parameters.
func (r *relyingParty) authorize(scopes []string, extra ...oauth2.AuthCodeOption) request {
	req := request{state: randomString(r.t), nonce: randomString(r.t), verifier: oauth2.GenerateVerifier()}
	cfg := *r.oauth
	cfg.Scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(req.verifier), gooidc.Nonce(req.nonce)}, extra...)
	req.url = cfg.AuthCodeURL(req.state, opts...)
	return req
}

// exchange redeems a code as the RP's back end does.
func (r *relyingParty) exchange(code, verifier string) (*oauth2.Token, error) {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	return r.oauth.Exchange(context.Background(), code, opts...)
}

// idToken verifies the ID token of tok (signature, issuer, audience,
// expiry, with go-oidc) and returns it with its claims.
func (r *relyingParty) idToken(tok *oauth2.Token) (*gooidc.IDToken, map[string]any) {
	r.t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		r.t.Fatal("token response has no id_token")
	}
	id, err := r.verifier.Verify(context.Background(), raw)
	if err != nil {
		r.t.Fatalf("go-oidc Verify(id_token) error = %v", err)
	}
	claims := map[string]any{}
	if err := id.Claims(&claims); err != nil {
		r.t.Fatal(err)
	}
	return id, claims
}

// userinfo asks the userinfo endpoint with tok, through go-oidc.
func (r *relyingParty) userinfo(tok *oauth2.Token) (map[string]any, error) {
	ui, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, err
	}
	claims := map[string]any{}
	if err := ui.Claims(&claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// browser is a resident's browser: a cookie jar, and redirects followed
// by hand so that the test sees each step.
type browser struct {
	t      testing.TB
	client *http.Client
	// secondFactor answers the second-factor page when run meets it; nil
	// stops the run there.
	secondFactor func(p page) page
}

func newBrowser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one response the browser got.
type page struct {
	url      *url.URL
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{url: req.URL, status: resp.StatusCode, body: string(body)}
	if loc, err := resp.Location(); err == nil {
		p.location = loc.String()
	}
	return p
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	claimBox    = regexp.MustCompile(`name="claim" value="([a-z0-9_]+)"`)
)

// form is a page's form: its hidden fields and the claims it offers.
type form struct {
	hidden            url.Values
	claims            []string
	plaintext, onward bool
	action            string
	rememberByDefault bool
}

func parseForm(p page) form {
	f := form{hidden: url.Values{}}
	for _, m := range hiddenField.FindAllStringSubmatch(p.body, -1) {
		f.hidden.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range claimBox.FindAllStringSubmatch(p.body, -1) {
		f.claims = append(f.claims, m[1])
	}
	f.plaintext = strings.Contains(p.body, `name="plaintext"`)
	f.onward = strings.Contains(p.body, `name="onward"`)
	f.rememberByDefault = strings.Contains(p.body, `name="remember" value="yes" checked`)
	return f
}

// consentChoice decides what a resident ticks on a consent page: given
// the offered form, the values to post (id and csrf are added).
type consentChoice func(f form) url.Values

// allowAll ticks every claim and both separate consents, and remembers.
func allowAll(f form) url.Values {
	v := url.Values{"action": {"allow"}, "claim": f.claims, "remember": {"yes"}}
	if f.plaintext {
		v.Set("plaintext", "yes")
	}
	if f.onward {
		v.Set("onward", "yes")
	}
	return v
}

// flow is what a front-channel run saw.
type flow struct {
	// callback is the query the RP's redirect URI received; nil if the
	// run stopped elsewhere.
	callback url.Values
	// paths are the provider's pages the browser went through.
	paths []string
	// consent is the consent form shown, if any.
	consent *form
	// last is the last response.
	last page
}

// run drives the browser from an authorization URL to the RP's redirect
// URI: it follows redirects, logs in as who at the login page and answers
// the consent page with choose. It stops at the RP, or at any response
// that is neither a redirect nor one of those pages.
func (b *browser) run(r *relyingParty, authURL string, who resident, choose consentChoice) flow {
	b.t.Helper()
	var f flow
	p := b.get(authURL)
	for range 10 {
		f.last = p
		switch {
		case p.location != "" && strings.HasPrefix(p.location, r.redirect):
			b.get(p.location) // the RP's server records it
			u, err := url.Parse(p.location)
			if err != nil {
				b.t.Fatal(err)
			}
			f.callback = u.Query()
			return f
		case p.location != "":
			next, err := p.url.Parse(p.location)
			if err != nil {
				b.t.Fatal(err)
			}
			p = b.get(next.String())
		case p.status == http.StatusOK && p.url.Path == "/login":
			f.paths = append(f.paths, "/login")
			lf := parseForm(p)
			vals := lf.hidden
			vals.Set("username", who.number)
			vals.Set("password", who.password)
			p = b.post(p.url.ResolveReference(&url.URL{Path: "/login"}).String(), vals)
		case p.status == http.StatusOK && p.url.Path == "/login/second-factor" && b.secondFactor != nil:
			f.paths = append(f.paths, "/login/second-factor")
			p = b.secondFactor(p)
		case p.status == http.StatusOK && p.url.Path == "/consent":
			f.paths = append(f.paths, "/consent")
			cf := parseForm(p)
			f.consent = &cf
			vals := choose(cf)
			vals.Set("id", cf.hidden.Get("id"))
			vals.Set("csrf", cf.hidden.Get("csrf"))
			p = b.post(p.url.ResolveReference(&url.URL{Path: "/consent"}).String(), vals)
		default:
			return f
		}
	}
	b.t.Fatal("too many steps in the front channel")
	return f
}

// login runs a whole code flow for who at r with scopes and consent
// choice choose, and returns the tokens, the verified ID token and its
// claims. It fails the test at any error.
func (b *browser) login(r *relyingParty, who resident, scopes []string, choose consentChoice) (*oauth2.Token, *gooidc.IDToken, map[string]any, flow) {
	b.t.Helper()
	req := r.authorize(scopes)
	f := b.run(r, req.url, who, choose)
	if f.callback == nil {
		b.t.Fatalf("login did not reach the RP: last response %d %s\n%s", f.last.status, f.last.location, f.last.body)
	}
	if e := f.callback.Get("error"); e != "" {
		b.t.Fatalf("login ended with error=%s (%s)", e, f.callback.Get("error_description"))
	}
	if got := f.callback.Get("state"); got != req.state {
		b.t.Fatalf("callback state = %q, want %q", got, req.state)
	}
	tok, err := r.exchange(f.callback.Get("code"), req.verifier)
	if err != nil {
		b.t.Fatalf("code exchange error = %v", err)
	}
	id, claims := r.idToken(tok)
	if id.Nonce != req.nonce {
		b.t.Fatalf("ID token nonce = %q, want %q", id.Nonce, req.nonce)
	}
	return tok, id, claims, f
}
