package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/wallet"
)

// The clients the resilience tests drive netid with: residents enrolling
// through the wallet package, and a relying party logging them in with
// go-oidc and x/oauth2 through the provider's forms. Everything here
// returns errors instead of failing the test, because a request cut off
// by a kill or an outage is an expected outcome the test classifies.

// resRequestTimeout bounds every request of these clients: a request that
// takes longer is a hang, reported as an error.
const resRequestTimeout = 30 * time.Second

// resHTTP returns an HTTP client whose connections leave from loopback
// address src (127.0.0.N: each simulated client has its own address, as
// the server's per-address limits expect) and go to the address to()
// returns, whatever the URL's host (two nodes behind one public URL); nil
// to keeps the URL's address. jar may be nil.
func resHTTP(src string, jar http.CookieJar, to func() string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to != nil {
				addr = to()
			}
			return d.DialContext(ctx, network, addr)
		},
		// A kept-alive connection would stay with the node it was opened
		// to, and the tests make many short-lived clients whose idle
		// connections would pile up.
		DisableKeepAlives: true,
	}
	return &http.Client{Transport: tr, Jar: jar, Timeout: resRequestTimeout}
}

// resPerson is a synthetic adult with a passport signed by the demo's test
// CSCA, which serve --demo trusts: one per enrolment, since a document
// holds one account.
type resPerson struct {
	n        int
	seed     uint64
	doc      *testdoc.Document
	phone    string
	password string
}

// resPassports issues passports with the test issuer that serve --demo
// kept in dataDir.
type resPassports struct {
	iss *testdoc.Issuer
}

func newResPassports(t *testing.T, dataDir string) *resPassports {
	t.Helper()
	iss, err := testdoc.LoadIssuer(filepath.Join(dataDir, "demo", "issuer"))
	if err != nil {
		t.Fatalf("loading the demo's test issuer: %v", err)
	}
	return &resPassports{iss: iss}
}

// person n: passport RZ0000n, a given name spelling n (two numbers, two
// people), portrait seed 1000+n, phone +86 139 n.
func (p *resPassports) person(n int) (resPerson, error) {
	seed := uint64(1000 + n)
	portrait, err := testdoc.Portrait(seed)
	if err != nil {
		return resPerson{}, err
	}
	now := time.Now()
	number := fmt.Sprintf("RZ%07d", n)
	doc, err := p.iss.Issue(testdoc.DocumentSpec{
		Person: testdoc.Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "RESILIENCE " + enroltest.Letters(number),
			BirthDate: document.NewDate(now.AddDate(-30, 0, -n)), Sex: "F"},
		DocumentNumber: number,
		Expiry:         document.NewDate(now.AddDate(5, 0, 0)),
	}, portrait)
	if err != nil {
		return resPerson{}, err
	}
	return resPerson{n: n, seed: seed, doc: doc, phone: fmt.Sprintf("+86139%08d", n),
		password: fmt.Sprintf("correct horse battery staple %d", n)}, nil
}

// resEnrol enrols p with the wallet in walletDir (created, or resumed when
// it holds an enrolment in progress) against server; resend asks for a
// new phone code even if one was sent before (a code whose SMS a crash
// swallowed).
func resEnrol(ctx context.Context, hc *http.Client, server, walletDir string, p resPerson, resend bool) (*wallet.Account, error) {
	c, err := wallet.NewClient(server, wallet.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	w, err := wallet.Open(walletDir)
	if errors.Is(err, wallet.ErrNoWallet) {
		w, err = wallet.Create(walletDir, suite.Intl, server, nil, time.Now())
	}
	if err != nil {
		return nil, err
	}
	src, err := wallet.NewDemoSource(ctx, c, "adult")
	if err != nil {
		return nil, err
	}
	src.FaceSeed = int(p.seed)
	chip, err := json.Marshal(p.doc.Chip)
	if err != nil {
		return nil, err
	}
	return wallet.Enrol(ctx, w, c, wallet.EnrolOptions{
		Evidence: &wallet.Evidence{Chip: chip, PrintedMRZ: p.doc.PrintedMRZ},
		Phone:    p.phone, ResendCode: resend, Code: src.Code, Face: src.Face, Liveness: src.Liveness,
		Password: p.password,
	})
}

// resRP is a relying party registered with netid rp create, logging
// residents in through the provider's own forms.
type resRP struct {
	issuer, clientID, secret, redirect string
}

// resRedirect is the relying party's redirect URI: nothing listens there,
// the browser stops before following it.
const resRedirect = "http://127.0.0.1:9/callback"

// registerResRP registers a relying party with the storage flags given,
// beside the running server.
func registerResRP(t *testing.T, issuer string, storage ...string) *resRP {
	t.Helper()
	creds := createRP(t, append([]string{"--name", "Resilience platform", "--redirect-uri", resRedirect,
		"--claim", "age_over_18=to check age"}, storage...)...)
	return &resRP{issuer: issuer, clientID: creds.ClientID, secret: creds.ClientSecret, redirect: resRedirect}
}

func (r *resRP) config() *oauth2.Config {
	return &oauth2.Config{ClientID: r.clientID, ClientSecret: r.secret, RedirectURL: r.redirect,
		Endpoint: oauth2.Endpoint{AuthURL: r.issuer + "/oidc/authorize", TokenURL: r.issuer + "/oidc/token",
			AuthStyle: oauth2.AuthStyleInHeader},
		Scopes: []string{gooidc.ScopeOpenID, "age_over_18", gooidc.ScopeOfflineAccess}}
}

// resPage is where a browser stands: a page of the provider, or the
// redirect to the relying party (code set).
type resPage struct {
	status int
	body   string
	url    string
	code   string // the authorization code, at the redirect URI
}

// resLogin is one login in progress: the relying party's PKCE verifier,
// state and nonce, and the browser's current page.
type resLogin struct {
	rp                     *resRP
	verifier, state, nonce string
	page                   resPage
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// browse sends req with browser, following redirects within the
// provider and stopping at the relying party's redirect URI.
func (r *resRP) browse(browser *http.Client, req *http.Request) (resPage, error) {
	c := *browser
	c.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if strings.HasPrefix(next.URL.String(), r.redirect) || len(via) >= 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	res, err := c.Do(req)
	if err != nil {
		return resPage{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return resPage{}, err
	}
	p := resPage{status: res.StatusCode, body: string(b), url: res.Request.URL.String()}
	if loc := res.Header.Get("Location"); res.StatusCode/100 == 3 && strings.HasPrefix(loc, r.redirect) {
		u, err := url.Parse(loc)
		if err != nil {
			return resPage{}, err
		}
		if e := u.Query().Get("error"); e != "" {
			return resPage{}, fmt.Errorf("authorization refused: %s: %s", e, u.Query().Get("error_description"))
		}
		p.code = u.Query().Get("code")
		if p.code == "" {
			return resPage{}, fmt.Errorf("redirect without a code: %s", loc)
		}
	}
	return p, nil
}

// start sends the browser to the authorization endpoint; it ends on the
// login page (or, with a session and remembered consent, at the redirect).
func (r *resRP) start(browser *http.Client) (*resLogin, error) {
	l := &resLogin{rp: r, verifier: oauth2.GenerateVerifier(), state: randomHex(), nonce: randomHex()}
	u := r.config().AuthCodeURL(l.state, oauth2.S256ChallengeOption(l.verifier), gooidc.Nonce(l.nonce))
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if l.page, err = r.browse(browser, req); err != nil {
		return nil, err
	}
	return l, l.expect(http.StatusOK)
}

// expect returns an error unless the browser is on a page of status or at
// the redirect.
func (l *resLogin) expect(status int) error {
	if l.page.code != "" || l.page.status == status {
		return nil
	}
	return fmt.Errorf("%s answered %d, want %d: %.300s", l.page.url, l.page.status, status, l.page.body)
}

// submit posts the current page's form with fields and its hidden inputs.
func (l *resLogin) submit(browser *http.Client, fields url.Values) error {
	target, err := formTarget(l.page.body, l.page.url, fields)
	if err != nil {
		return fmt.Errorf("%w (%d): %.300s", err, l.page.status, l.page.body)
	}
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(fields.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	l.page, err = l.rp.browse(browser, req)
	return err
}

// password submits the login form.
func (l *resLogin) password(browser *http.Client, number, password string) error {
	if err := l.submit(browser, url.Values{"username": {number}, "password": {password}}); err != nil {
		return err
	}
	return l.expect(http.StatusOK)
}

// consent allows the claim on the consent page and remembers the consent
// (so that later logins are single sign-on), unless the browser is at
// the redirect already.
func (l *resLogin) consent(browser *http.Client) error {
	if l.page.code != "" {
		return nil
	}
	if err := l.submit(browser, url.Values{"claim": {"age_over_18"}, "action": {"allow"}, "remember": {"yes"}}); err != nil {
		return err
	}
	if l.page.code == "" {
		return fmt.Errorf("consent ended on %s (%d), not at the redirect: %.300s", l.page.url, l.page.status, l.page.body)
	}
	return nil
}

// resTokens is what the relying party got from a finished login.
type resTokens struct {
	token    *oauth2.Token
	subject  string
	userinfo map[string]any
}

// finish exchanges the code at the token endpoint with client (the relying
// party's own connection to the provider), verifies the ID token and
// reads userinfo.
func (l *resLogin) finish(ctx context.Context, client *http.Client) (*resTokens, error) {
	ctx = gooidc.ClientContext(ctx, client)
	tok, err := l.rp.config().Exchange(ctx, l.page.code, oauth2.VerifierOption(l.verifier))
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	prov, err := gooidc.NewProvider(ctx, l.rp.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := prov.Verifier(&gooidc.Config{ClientID: l.rp.clientID}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	if idt.Nonce != l.nonce {
		return nil, fmt.Errorf("ID token nonce %q, want %q", idt.Nonce, l.nonce)
	}
	ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	var claims map[string]any
	if err := ui.Claims(&claims); err != nil {
		return nil, err
	}
	if ui.Subject != idt.Subject {
		return nil, fmt.Errorf("userinfo subject %q, ID token subject %q", ui.Subject, idt.Subject)
	}
	return &resTokens{token: tok, subject: idt.Subject, userinfo: claims}, nil
}

// refresh uses a refresh token once at the token endpoint.
func (r *resRP) refresh(ctx context.Context, client *http.Client, refreshToken string) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	return r.config().TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

func newJar() http.CookieJar {
	jar, _ := cookiejar.New(nil)
	return jar
}

// login runs a whole login of number with a fresh browser from src, to
// the node to() names (nil: the issuer's address).
func (r *resRP) login(ctx context.Context, src string, to func() string, number, password string) (*resTokens, error) {
	browser := resHTTP(src, newJar(), to)
	l, err := r.start(browser)
	if err != nil {
		return nil, err
	}
	if err := l.password(browser, number, password); err != nil {
		return nil, err
	}
	if err := l.consent(browser); err != nil {
		return nil, err
	}
	return l.finish(ctx, resHTTP(src, nil, to))
}
