package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// RP is the relying party the OpenID Connect flows log residents in to:
// a confidential client whose redirect URI is never fetched (the load
// test reads the code off the redirect).
type RP struct {
	ClientID     string
	ClientSecret string
	RedirectURI  string
	// Scopes requested; DefaultScopes when empty.
	Scopes []string
}

// DefaultScopes request the openid scope and age_over_18: a claim that
// needs the resident's sealed identity, so that the token endpoint opens
// it, as most platforms' logins do.
var DefaultScopes = []string{"openid", "age_over_18"}

// Residents are the accounts the login flows use: internet numbers (netid
// seed --numbers-out) sharing one password.
type Residents struct {
	Numbers  []string
	Password string
}

// pick returns a resident's number at random: logins spread over the
// whole store, as real ones do, rather than reading the same rows again.
func (r Residents) pick() string { return r.Numbers[mrand.IntN(len(r.Numbers))] }

// ReadNumbers reads internet numbers, one a line (blank lines and lines
// starting with # are skipped), at most max of them.
func ReadNumbers(r io.Reader, max int) ([]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(max)*32+1<<20))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) == max {
			break
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, errors.New("loadtest: no internet numbers")
	}
	return out, nil
}

// provider is the OpenID provider's endpoints, discovered.
type provider struct {
	issuer    string
	authorize string
	token     string
	userinfo  string
}

// maxBody bounds what the load test reads of an answer.
const maxBody = 1 << 20

// discover reads the provider metadata and checks that every endpoint is
// on loopback.
func discover(ctx context.Context, hc *http.Client, server *url.URL) (*provider, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server.String()+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadtest: discovery: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("loadtest: discovery: HTTP %d", res.StatusCode)
	}
	var m struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		UserinfoEndpoint      string `json:"userinfo_endpoint"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxBody)).Decode(&m); err != nil {
		return nil, fmt.Errorf("loadtest: discovery: %w", err)
	}
	for _, e := range []string{m.Issuer, m.AuthorizationEndpoint, m.TokenEndpoint, m.UserinfoEndpoint} {
		if _, err := CheckLoopback(strings.SplitN(e, "?", 2)[0]); err != nil {
			return nil, fmt.Errorf("loadtest: discovery: endpoint %q: %w", e, err)
		}
	}
	return &provider{issuer: m.Issuer, authorize: m.AuthorizationEndpoint, token: m.TokenEndpoint, userinfo: m.UserinfoEndpoint}, nil
}

// browser is one user agent: a client (one source address) and its
// cookies, sent to the provider on every request.
type browser struct {
	hc      *http.Client
	mu      sync.Mutex
	cookies map[string]string
}

func newBrowser(hc *http.Client) *browser { return &browser{hc: hc, cookies: map[string]string{}} }

// answer is a response read in full.
type answer struct {
	status   int
	location string
	body     []byte
	header   http.Header
}

// do sends a request, with form as its body when not nil.
func (b *browser) do(ctx context.Context, step, method, u string, form url.Values, auth func(*http.Request)) (*answer, error) {
	if form == nil {
		return b.send(ctx, step, method, u, nil, "", auth)
	}
	return b.send(ctx, step, method, u, []byte(form.Encode()), "application/x-www-form-urlencoded", auth)
}

// postJSON posts a JSON body.
func (b *browser) postJSON(ctx context.Context, step, u string, body []byte, auth func(*http.Request)) (*answer, error) {
	return b.send(ctx, step, http.MethodPost, u, body, "application/json", auth)
}

// send sends a request with the browser's cookies and keeps those it
// sets.
func (b *browser) send(ctx context.Context, step, method, u string, body []byte, ctype string, auth func(*http.Request)) (*answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, &StepError{Step: step, Kind: "bad request", Detail: err.Error()}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	b.mu.Lock()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	b.mu.Unlock()
	if auth != nil {
		auth(req)
	}
	res, err := b.hc.Do(req)
	if err != nil {
		return nil, stepErr(step, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, stepErr(step, err)
	}
	b.mu.Lock()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	b.mu.Unlock()
	return &answer{status: res.StatusCode, location: res.Header.Get("Location"), body: data, header: res.Header}, nil
}

// unexpected is the failure of a step that answered otherwise than the
// flow expects: its status, and the OAuth error or problem type if any.
func unexpected(step string, a *answer, want string) *StepError {
	kind := "HTTP " + strconv.Itoa(a.status)
	var e struct {
		Error string `json:"error"`
		Type  string `json:"type"`
	}
	if json.Unmarshal(a.body, &e) == nil {
		if e.Error != "" {
			kind += " " + e.Error
		} else if e.Type != "" {
			kind += " " + e.Type[strings.LastIndex(e.Type, "/")+1:]
		}
	}
	if a.status == http.StatusSeeOther || a.status == http.StatusFound {
		if u, err := url.Parse(a.location); err == nil && u.Query().Get("error") != "" {
			kind += " " + u.Query().Get("error")
		}
	}
	return &StepError{Step: step, Kind: kind, Detail: want}
}

// codeFlow is one authorization code flow in progress: the values the RP
// keeps between the authorization request and the token request.
type codeFlow struct {
	state, nonce, verifier string
}

func newCodeFlow() (*codeFlow, error) {
	var b [72]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	return &codeFlow{state: enc.EncodeToString(b[:16]), nonce: enc.EncodeToString(b[16:40]), verifier: enc.EncodeToString(b[40:])}, nil
}

// authorizeURL is the authorization request: code flow, PKCE S256.
func (c *codeFlow) authorizeURL(p *provider, r RP) string {
	sum := sha256.Sum256([]byte(c.verifier))
	scopes := r.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	q := url.Values{
		"response_type": {"code"}, "client_id": {r.ClientID}, "redirect_uri": {r.RedirectURI},
		"scope": {strings.Join(scopes, " ")}, "state": {c.state}, "nonce": {c.nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	sep := "?"
	if strings.Contains(p.authorize, "?") {
		sep = "&"
	}
	return p.authorize + sep + q.Encode()
}

// codeFrom reads the code off a redirect to the RP, checking state and
// issuer (RFC 9207). ok is false when the redirect goes elsewhere.
func (c *codeFlow) codeFrom(step string, p *provider, r RP, a *answer) (code string, ok bool, err error) {
	if a.status != http.StatusFound && a.status != http.StatusSeeOther {
		return "", false, unexpected(step, a, "a redirect")
	}
	if !strings.HasPrefix(a.location, r.RedirectURI) {
		return "", false, nil
	}
	u, perr := url.Parse(a.location)
	if perr != nil {
		return "", false, &StepError{Step: step, Kind: "unexpected answer", Detail: "redirect URI does not parse"}
	}
	q := u.Query()
	switch {
	case q.Get("error") != "":
		return "", true, &StepError{Step: step, Kind: "error " + q.Get("error"), Detail: q.Get("error_description")}
	case q.Get("state") != c.state:
		return "", true, &StepError{Step: step, Kind: "unexpected answer", Detail: "state differs"}
	case q.Get("iss") != p.issuer:
		return "", true, &StepError{Step: step, Kind: "unexpected answer", Detail: "iss differs"}
	case q.Get("code") == "":
		return "", true, &StepError{Step: step, Kind: "unexpected answer", Detail: "no code"}
	}
	return q.Get("code"), true, nil
}

// redeem exchanges the code at the token endpoint (client_secret_basic),
// checks the ID token's audience and nonce, and calls userinfo with the
// access token, whose subject must be the ID token's. The ID token's
// signature is not verified here: that is the platform's work, on the
// platform's machine, and would take the server's share of the cores.
func (c *codeFlow) redeem(ctx context.Context, b *browser, p *provider, r RP, code string) error {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.RedirectURI},
		"code_verifier": {c.verifier}}
	access, claims, err := b.tokens(ctx, p, r, form)
	if err != nil {
		return err
	}
	if claims.Nonce != c.nonce {
		return &StepError{Step: "token", Kind: "unexpected answer", Detail: "ID token audience, nonce or subject"}
	}
	return b.userinfo(ctx, p, access, claims.Sub)
}

// tokens posts a token request of the platform r (client_secret_basic)
// and returns the access token and the ID token's claims, whose audience
// must be r and whose subject must be set. The signature is not verified
// (see redeem).
func (b *browser) tokens(ctx context.Context, p *provider, r RP, form url.Values) (string, idClaims, error) {
	a, err := b.do(ctx, "token", http.MethodPost, p.token, form, func(req *http.Request) {
		req.SetBasicAuth(url.QueryEscape(r.ClientID), url.QueryEscape(r.ClientSecret))
	})
	if err != nil {
		return "", idClaims{}, err
	}
	if a.status != http.StatusOK {
		return "", idClaims{}, unexpected("token", a, "200 with tokens")
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" || tok.IDToken == "" {
		return "", idClaims{}, &StepError{Step: "token", Kind: "unexpected answer", Detail: "no access or ID token"}
	}
	claims, err := jwtClaims(tok.IDToken)
	if err != nil || claims.Aud != r.ClientID || claims.Sub == "" {
		return "", idClaims{}, &StepError{Step: "token", Kind: "unexpected answer", Detail: "ID token audience, nonce or subject"}
	}
	return tok.AccessToken, claims, nil
}

// userinfo calls the userinfo endpoint with the access token; the
// subject must be the ID token's.
func (b *browser) userinfo(ctx context.Context, p *provider, access, sub string) error {
	a, err := b.do(ctx, "userinfo", http.MethodGet, p.userinfo, nil, func(req *http.Request) {
		req.Header.Set("Authorization", "Bearer "+access)
	})
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return unexpected("userinfo", a, "200")
	}
	var ui struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(a.body, &ui); err != nil || ui.Sub != sub {
		return &StepError{Step: "userinfo", Kind: "unexpected answer", Detail: "subject differs from the ID token's"}
	}
	return nil
}

// idClaims are the ID token claims the flow checks.
type idClaims struct {
	Aud   string `json:"aud"`
	Nonce string `json:"nonce"`
	Sub   string `json:"sub"`
}

// jwtClaims decodes a compact JWT's payload without verifying it.
func jwtClaims(tok string) (idClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return idClaims{}, errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return idClaims{}, err
	}
	var c idClaims
	return c, json.Unmarshal(b, &c)
}

// formField reads a hidden input's value from one of the provider's pages.
var formField = regexp.MustCompile(`name="(id|csrf)" value="([^"]*)"`)

// claimBox reads a consent checkbox's claim.
var claimBox = regexp.MustCompile(`name="claim" value="([^"]*)"`)

// pageForm returns the id and csrf fields of a login or consent page.
func pageForm(step string, a *answer) (url.Values, error) {
	if a.status != http.StatusOK {
		return nil, unexpected(step, a, "200 with the form")
	}
	form := url.Values{}
	for _, m := range formField.FindAllSubmatch(a.body, -1) {
		form.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	if form.Get("id") == "" || form.Get("csrf") == "" {
		return nil, &StepError{Step: step, Kind: "unexpected answer", Detail: "the page has no form"}
	}
	return form, nil
}

// resolve makes a Location or form action absolute against base.
func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	out := b.ResolveReference(r)
	if !isLoopbackHost(out.Hostname()) {
		return "", fmt.Errorf("%w: %s", ErrNotLoopback, out.Host)
	}
	return out.String(), nil
}

// passwordLogin runs a complete login of a browser without a session:
// authorization request, login form, password, consent (when none is
// remembered; remembered if remember is set), then the token and userinfo
// requests.
func passwordLogin(ctx context.Context, b *browser, p *provider, r RP, username, password string, remember bool) error {
	c, err := newCodeFlow()
	if err != nil {
		return err
	}
	a, err := b.do(ctx, "authorize", http.MethodGet, c.authorizeURL(p, r), nil, nil)
	if err != nil {
		return err
	}
	if code, ok, err := c.codeFrom("authorize", p, r, a); ok || err != nil {
		if err == nil {
			// A live session answered: this browser was logged in.
			err = c.redeem(ctx, b, p, r, code)
		}
		return err
	}
	loginURL, err := resolve(p.authorize, a.location)
	if err != nil {
		return stepErr("authorize", err)
	}
	if a, err = b.do(ctx, "login page", http.MethodGet, loginURL, nil, nil); err != nil {
		return err
	}
	form, err := pageForm("login page", a)
	if err != nil {
		return err
	}
	form.Set("username", username)
	form.Set("password", password)
	if a, err = b.do(ctx, "login", http.MethodPost, loginURL, form, nil); err != nil {
		return err
	}
	code, ok, err := c.codeFrom("login", p, r, a)
	if err != nil {
		return err
	}
	if !ok {
		// The consent page.
		consentURL, err := resolve(loginURL, a.location)
		if err != nil {
			return stepErr("login", err)
		}
		if a, err = b.do(ctx, "consent page", http.MethodGet, consentURL, nil, nil); err != nil {
			return err
		}
		form, err := pageForm("consent page", a)
		if err != nil {
			return err
		}
		for _, m := range claimBox.FindAllSubmatch(a.body, -1) {
			form.Add("claim", html.UnescapeString(string(m[1])))
		}
		form.Set("action", "allow")
		if remember {
			form.Set("remember", "yes")
		}
		if a, err = b.do(ctx, "consent", http.MethodPost, consentURL, form, nil); err != nil {
			return err
		}
		if code, ok, err = c.codeFrom("consent", p, r, a); err != nil {
			return err
		}
		if !ok {
			return unexpected("consent", a, "a redirect to the platform")
		}
	}
	return c.redeem(ctx, b, p, r, code)
}

// ssoFlow runs a single-sign-on flow of a browser with a live session and
// remembered consent: the authorization request is answered at once with
// a code, then the token and userinfo requests.
func ssoFlow(ctx context.Context, b *browser, p *provider, r RP) error {
	c, err := newCodeFlow()
	if err != nil {
		return err
	}
	a, err := b.do(ctx, "authorize", http.MethodGet, c.authorizeURL(p, r), nil, nil)
	if err != nil {
		return err
	}
	code, ok, err := c.codeFrom("authorize", p, r, a)
	if err != nil {
		return err
	}
	if !ok {
		return &StepError{Step: "authorize", Kind: "no session", Detail: "sent to " + a.location}
	}
	return c.redeem(ctx, b, p, r, code)
}

// OIDCFlow is the login or sso flow against a provider.
type OIDCFlow struct {
	server    *url.URL
	sso       bool
	rp        RP
	residents Residents
	sessions  int
	insecure  bool
	addrs     *sourceAddrs

	once     sync.Once
	provider *provider
	discErr  error

	setupMu     sync.Mutex
	established int
	bar         *Progress
	// Setup, if set, receives a progress bar of the sessions being
	// established (sso).
	Setup io.Writer
}

// NewLoginFlow returns the password login flow: each flow a new browser
// (from its own source address) logging in a resident of residents drawn
// at random, through the login form and the consent page (consent is not
// remembered, so each login shows it unless an earlier sso setup
// remembered it).
func NewLoginFlow(server string, rp RP, residents Residents, insecure bool) (*OIDCFlow, error) {
	return newOIDCFlow(server, false, rp, residents, 0, insecure)
}

// NewSSOFlow returns the single-sign-on flow: sessions browsers (at least
// one per worker) each log a resident drawn at random in once, remembering
// consent, then every flow is an authorization, token and userinfo request
// of one of them.
func NewSSOFlow(server string, rp RP, residents Residents, sessions int, insecure bool) (*OIDCFlow, error) {
	return newOIDCFlow(server, true, rp, residents, sessions, insecure)
}

func newOIDCFlow(server string, sso bool, rp RP, residents Residents, sessions int, insecure bool) (*OIDCFlow, error) {
	u, err := CheckLoopback(server)
	if err != nil {
		return nil, err
	}
	var errs []error
	if rp.ClientID == "" || rp.ClientSecret == "" || rp.RedirectURI == "" {
		errs = append(errs, errors.New("the flow needs a relying party: client id, secret and redirect URI"))
	}
	if len(residents.Numbers) == 0 || residents.Password == "" {
		errs = append(errs, errors.New("the flow needs residents: internet numbers and their password"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	return &OIDCFlow{server: u, sso: sso, rp: rp, residents: residents, sessions: sessions, insecure: insecure,
		addrs: newSourceAddrs(u)}, nil
}

// Name implements Flow.
func (f *OIDCFlow) Name() string {
	if f.sso {
		return "sso"
	}
	return "login"
}

// Worker implements Flow.
func (f *OIDCFlow) Worker(ctx context.Context, i, n int) (func(context.Context, int) error, error) {
	f.once.Do(func() {
		hc := newHTTPClient(nil, 1, f.insecure)
		f.provider, f.discErr = discover(ctx, hc, f.server)
		hc.CloseIdleConnections()
	})
	if f.discErr != nil {
		return nil, f.discErr
	}
	p := f.provider
	if !f.sso {
		return func(ctx context.Context, seq int) error {
			hc := newHTTPClient(f.addrs.addr(), 1, f.insecure)
			defer hc.CloseIdleConnections()
			return passwordLogin(ctx, newBrowser(hc), p, f.rp, f.residents.pick(), f.residents.Password, false)
		}, nil
	}
	// Sessions i, i+n, i+2n... are this worker's. Each logs in from an
	// address of its own (the per-address login limit would stop a
	// worker's hundredth), then its flows share the worker's connection.
	total := max(f.sessions, n)
	hc := newHTTPClient(f.addrs.addr(), 1, f.insecure)
	var mine []*browser
	for s := i; s < total; s += n {
		login := newHTTPClient(f.addrs.addr(), 1, f.insecure)
		b := newBrowser(login)
		user := f.residents.pick()
		err := passwordLogin(ctx, b, p, f.rp, user, f.residents.Password, true)
		login.CloseIdleConnections()
		if err != nil {
			return nil, fmt.Errorf("establishing the session of %s: %w", user, err)
		}
		b.hc = hc
		if f.Setup != nil {
			f.setupMu.Lock()
			if f.bar == nil {
				f.bar = NewProgress(f.Setup, total, "establishing sessions")
			}
			f.established++
			f.bar.Set(f.established)
			if f.established == total {
				f.bar.Finish()
			}
			f.setupMu.Unlock()
		}
		mine = append(mine, b)
	}
	k := 0
	return func(ctx context.Context, seq int) error {
		b := mine[k%len(mine)]
		k++
		return ssoFlow(ctx, b, p, f.rp)
	}, nil
}
